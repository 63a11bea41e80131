// Command kefu is the toolbox for the people who run kefu:
//
//	kefu check [rules]            validate a rules file, print every problem or a summary
//	kefu try [flags] [message]    show which rule fires and the exact API payloads it sends
//	kefu push [flags] [message]   send a signed push to a function's URL, as WeChat does
//
// The rules are a path, file://, https:// or s3:// (S3, or COS through AWS_ENDPOINT_URL_S3);
// the default is $KEFU_RULES, else the bundled example rules. Nothing here sends a reply:
// try only prints, and push talks to the function, which does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

const usage = `kefu: the toolbox for kefu's rules and deployments

usage:
  kefu check [-appid wx...] [rules]
  kefu try [-rules src] [-appid wx...] [-type text|image|miniprogrampage] [-enter session-from] [-event name] [-at time] [message]
  kefu push -url URL [-appid wx...] [-token t] [-aes-key k] [-mode safe|compatible|plaintext] [-format json|xml] [-openid id] [-verify] [-enter session-from] [message]

Defaults come from the environment: KEFU_RULES, WECHAT_APPID, WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY.
`

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run executes one subcommand and returns the exit status: 0 fine, 1 a finding (problems in
// the rules, a refused push), 2 a usage or I/O error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "check":
		err = check(ctx, args[1:], stdout, lookup)
	case "try":
		err = try(ctx, args[1:], stdout, lookup)
	case "push":
		err = pushCmd(ctx, args[1:], stdout, lookup)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "kefu: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var finding *findingError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &finding):
		fmt.Fprintln(stderr, finding.msg)
		return 1
	default:
		fmt.Fprintln(stderr, "kefu:", err)
		return 2
	}
}

// findingError is a result worth a non-zero status that is not a failure of the tool: the
// rules have problems, or the function refused the push.
type findingError struct{ msg string }

func (e *findingError) Error() string { return e.msg }

func env(lookup func(string) (string, bool), name string) string {
	v, _ := lookup(name)
	return v
}
