package rules

import (
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
)

func TestSchedule(t *testing.T) {
	const rules = `version: 1
rules:
  - name: office
    when:
      schedule: { zone: Asia/Shanghai, days: [mon, tue, wed, thu, fri], hours: ["09:00-12:00", "13:30-18:00"] }
    reply: [{text: office}]
  - name: after-hours
    when:
      schedule: { days: [mon, tue, wed, thu, fri], hours: ["09:00-12:00", "13:30-18:00"], outside: true }
    reply: [{text: after}]
`
	s := mustParse(t, rules, Options{})
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 3, day, hh, mm, 0, 0, sh) } // March 2 2026 is a Monday
	tests := []struct {
		now  time.Time
		want string
	}{
		{at(2, 9, 0), "office"},                                       // start is inclusive
		{at(2, 8, 59), "after-hours"},                                 // before
		{at(2, 11, 59), "office"},                                     // last minute
		{at(2, 12, 0), "after-hours"},                                 // end is exclusive (lunch)
		{at(2, 13, 30), "office"},                                     // second range
		{at(2, 17, 59), "office"},                                     //
		{at(2, 18, 0), "after-hours"},                                 // evening
		{at(6, 10, 0), "office"},                                      // Friday
		{at(7, 10, 0), "after-hours"},                                 // Saturday
		{at(8, 10, 0), "after-hours"},                                 // Sunday
		{at(2, 10, 0).UTC(), "office"},                                // the zone is the schedule's, not now's
		{time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC), "office"},      // 09:30 in Shanghai
		{time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), "after-hours"}, // 07:00 Monday in Shanghai
	}
	for _, tc := range tests {
		if got := s.Match(&push.Message{MsgType: push.TypeImage}, tc.now).Rule; got != tc.want {
			t.Errorf("%v: %q, want %q", tc.now, got, tc.want)
		}
	}
}

func TestScheduleDefaults(t *testing.T) {
	s := mustParse(t, "version: 1\nrules:\n  - name: a\n    when: {schedule: {hours: \"22:00-24:00\", zone: UTC}}\n    reply: [{text: a}]\n", Options{})
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 7, 23, 59, 59, 0, time.UTC), "a"}, // every day, up to 24:00
		{time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), ""},
		{time.Date(2026, 3, 8, 21, 59, 0, 0, time.UTC), ""},
	} {
		if got := s.Match(text("x"), tc.now).Rule; got != tc.want {
			t.Errorf("%v: %q, want %q", tc.now, got, tc.want)
		}
	}
	s = mustParse(t, "version: 1\nrules:\n  - name: weekend\n    when: {schedule: {days: [sat, sun]}}\n    reply: [{text: a}]\n", Options{})
	sh, _ := time.LoadLocation(defaultZone)
	if got := s.Match(text("x"), time.Date(2026, 3, 7, 0, 0, 0, 0, sh)).Rule; got != "weekend" {
		t.Errorf("Saturday 00:00 Shanghai: %q", got)
	}
	if got := s.Match(text("x"), time.Date(2026, 3, 6, 23, 59, 0, 0, sh)).Rule; got != "" {
		t.Errorf("Friday 23:59 Shanghai: %q", got)
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]int{"00:00": 0, "09:05": 545, "23:59": 1439, "24:00": 1440} {
		if got, ok := parseClock(in); !ok || got != want {
			t.Errorf("parseClock(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"9:00", "24:01", "12:60", "ab:cd", "12-00", "", "25:00"} {
		if _, ok := parseClock(in); ok {
			t.Errorf("parseClock(%q) ok", in)
		}
	}
}
