package kefu

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/rules"
	"github.com/kefuhq/kefu/pkg/wxapi"
)

// prefetch is the media_id of one image source, fetched and uploaded while earlier replies
// are sent.
type prefetch struct {
	done chan struct{}
	id   string
	err  error
}

// run carries out a plan: the shared dedup claim, the typing state, then each reply in
// order. The claim (a round trip to object storage) and the images (and card thumbnails) are
// fetched and uploaded concurrently from the start, so a slow store delays only what needs
// it; sends stay in order. cancel ends ctx: run calls it on return to stop work no reply
// will use, and returns only when every goroutine it started has finished.
func (s *Service) run(ctx context.Context, cancel context.CancelFunc, p *push.Push, plan rules.Plan, key string, rep *Report) {
	if len(plan.Replies) == 0 {
		return
	}
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	var claim chan bool
	if s.opts.Dedup.Shared() {
		claim = make(chan bool, 1)
		wg.Go(func() { claim <- s.opts.Dedup.ClaimShared(ctx, key) })
	}
	var fetches map[string]*prefetch // only plans with images need one
	for _, r := range plan.Replies {
		src := mediaSource(r)
		if src == "" || fetches[src] != nil {
			continue
		}
		if fetches == nil {
			fetches = map[string]*prefetch{}
		}
		f := &prefetch{done: make(chan struct{})}
		fetches[src] = f
		wg.Go(func() {
			defer close(f.done)
			f.id, f.err = s.opts.Media.MediaID(ctx, src)
		})
	}

	if claim != nil {
		select {
		case first := <-claim:
			if !first {
				rep.Outcome = OutcomeDuplicate
				rep.Reason = "claimed by another instance"
				return
			}
		case <-ctx.Done():
			rep.Outcome, rep.Reason = OutcomeAbandoned, "deadline before the dedup claim"
			return
		}
	}

	to := p.FromUserName
	if plan.Typing {
		// Best effort: WeChat refuses typing outside a recent exchange, and that must not stop
		// the replies.
		if err := s.opts.API.Typing(ctx, to, true); err != nil {
			rep.note(err)
		}
	}
	for i, r := range plan.Replies {
		if ctx.Err() != nil {
			rep.Outcome = OutcomeAbandoned
			rep.Reason = "deadline: " + strconv.Itoa(len(plan.Replies)-i) + " replies not sent"
			return
		}
		err := s.send(ctx, to, r, fetches)
		if err == nil {
			rep.Sent++
			continue
		}
		rep.Failed++
		rep.note(err)
		if stopsConversation(err) {
			rep.Outcome = OutcomeAbandoned
			rep.Reason = "WeChat refused the conversation: " + strconv.Itoa(len(plan.Replies)-i-1) + " replies not sent"
			return
		}
		if ctx.Err() != nil {
			rep.Outcome = OutcomeAbandoned
			rep.Reason = "deadline: " + strconv.Itoa(len(plan.Replies)-i-1) + " replies not sent"
			return
		}
	}
	if rep.Failed > 0 {
		rep.Outcome = OutcomePartial
	} else {
		rep.Outcome = OutcomeReplied
	}
}

// mediaSource returns the image source a reply needs uploaded, or "".
func mediaSource(r rules.Reply) string {
	switch r.Kind {
	case rules.Image:
		return r.Image
	case rules.MiniProgramPage:
		return r.Page.Thumb
	}
	return ""
}

// send sends one reply item.
func (s *Service) send(ctx context.Context, to string, r rules.Reply, fetches map[string]*prefetch) error {
	switch r.Kind {
	case rules.Text:
		return s.opts.API.Send(ctx, wxapi.NewText(to, r.Text))
	case rules.Link:
		return s.opts.API.Send(ctx, wxapi.NewLink(to, wxapi.Link{
			Title: r.Link.Title, Description: r.Link.Description, URL: r.Link.URL, ThumbURL: r.Link.ThumbURL}))
	case rules.Image, rules.MiniProgramPage:
		src := mediaSource(r)
		f := fetches[src]
		select {
		case <-f.done:
		case <-ctx.Done():
			return &mediaError{src: src, err: ctx.Err()}
		}
		if f.err != nil {
			return &mediaError{src: src, err: f.err}
		}
		return s.opts.Media.Do(ctx, src, func(id string) error {
			if r.Kind == rules.Image {
				return s.opts.API.Send(ctx, wxapi.NewImage(to, id))
			}
			return s.opts.API.Send(ctx, wxapi.NewMiniProgramPage(to, wxapi.MiniProgramPage{
				Title: r.Page.Title, PagePath: r.Page.PagePath, ThumbMediaID: id}))
		})
	}
	return errors.New("kefu: unknown reply kind " + r.Kind.String())
}

// mediaError is an image that could not be made into a media_id; the reply item is skipped.
type mediaError struct {
	src string
	err error
}

func (e *mediaError) Error() string { return "media " + e.src + ": " + e.err.Error() }
func (e *mediaError) Unwrap() error { return e.err }

// stopsConversation reports whether an error means no further reply to this user can
// succeed now: retrying or sending the next item would only add calls that fail.
func stopsConversation(err error) bool {
	for _, kind := range []error{wxapi.ErrOutOfWindow, wxapi.ErrQuota, wxapi.ErrInvalidOpenID,
		wxapi.ErrUnauthorized, wxapi.ErrConfig, wxapi.ErrDailyLimit, wxapi.ErrTokenInvalid} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}
