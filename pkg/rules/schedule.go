package rules

import (
	"fmt"
	"strings"
	"time"

	_ "time/tzdata" // the binaries carry the zone data: Lambda and SCF images may lack it
)

// defaultZone is the zone of a schedule that names none.
const defaultZone = "Asia/Shanghai"

// schedule restricts a rule to times of the week in a time zone.
type schedule struct {
	loc     *time.Location
	days    uint8  // bit d set: time.Weekday(d) is in the window
	hours   []span // minutes of the day; empty: the whole day
	outside bool   // the rule holds outside the window instead
}

// span is a half-open range of minutes of the day, [start, end).
type span struct{ start, end int }

const allDays = 1<<7 - 1

// holds reports whether now is in the schedule's window (or, with outside, not in it).
func (s *schedule) holds(now time.Time) bool {
	t := now.In(s.loc)
	in := s.days&(1<<uint(t.Weekday())) != 0
	if in && len(s.hours) > 0 {
		m := t.Hour()*60 + t.Minute()
		in = false
		for _, h := range s.hours {
			if h.start <= m && m < h.end {
				in = true
				break
			}
		}
	}
	return in != s.outside
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseDay reads one of mon, tue, wed, thu, fri, sat, sun.
func parseDay(s string) (time.Weekday, bool) {
	for i, n := range dayNames {
		if s == n {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseSpan reads "HH:MM-HH:MM" (24:00 allowed as an end). It returns a message for a bad one.
func parseSpan(s string) (span, string) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return span{}, fmt.Sprintf("bad hours %q (want \"HH:MM-HH:MM\", like \"09:00-18:00\")", s)
	}
	start, ok1 := parseClock(strings.TrimSpace(a))
	end, ok2 := parseClock(strings.TrimSpace(b))
	if !ok1 || !ok2 {
		return span{}, fmt.Sprintf("bad hours %q (want \"HH:MM-HH:MM\", like \"09:00-18:00\")", s)
	}
	if start == 24*60 || start >= end {
		return span{}, fmt.Sprintf("hours %q: the start must be before the end (a range ends at 24:00 at the latest)", s)
	}
	return span{start, end}, ""
}

// parseClock reads "HH:MM" between 00:00 and 24:00 as minutes of the day.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}
