package gatewaytest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"syscall"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
)

// Build builds the main package in dir into out with `go build`, adding the given build
// flags (such as "-tags", "lambda.norpc"), for the host's operating system and architecture
// with cgo off, as the release builds are.
func Build(ctx context.Context, dir, out string, flags ...string) error {
	args := append([]string{"build", "-trimpath"}, flags...)
	args = append(args, "-o", out, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gatewaytest: go build in %s: %w\n%s", dir, err, b)
	}
	return nil
}

// FreePort returns a TCP port on loopback that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("gatewaytest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a function binary running under a test, with exactly the environment given
// (nothing inherited from the test), its standard error kept.
type Process struct {
	// Started is when the process was started.
	Started time.Time

	cmd    *exec.Cmd
	stderr *testkit.Buffer
	done   chan struct{}
	err    error
}

// Start starts the binary with the environment env ("NAME=value" entries).
func Start(bin string, env []string) (*Process, error) {
	p := &Process{stderr: &testkit.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = env
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	p.Started = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("gatewaytest: starting %s: %w", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Done returns a channel closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitCode returns the exit status once the process has exited (-1 if it was killed by a
// signal), and false before.
func (p *Process) ExitCode() (int, bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	default:
		return 0, false
	}
}

// Output returns what the process wrote to standard output and standard error so far.
func (p *Process) Output() string { return p.stderr.String() }

// Stop sends SIGTERM, waits up to grace for the process to exit, then kills it. It returns
// the process's exit error, if any other than the signal.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.exitErr()
}

func (p *Process) exitErr() error {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && !ee.Exited() {
		return nil // ended by our signal
	}
	return p.err
}

// Env turns a map into "NAME=value" entries.
func Env(m map[string]string) []string {
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return env
}
