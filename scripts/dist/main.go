// Command dist makes and checks kefu's release zips, with Go's archive/zip so that no zip
// tool is needed and file modes are exactly what the platforms want (make package):
//
//	go run ./scripts/dist zip OUT.zip NAME=FILE[:MODE] ...
//	go run ./scripts/dist check DIR
//
// zip writes the files into OUT.zip under the given names, with the given octal modes
// (default 0644) and a fixed time stamp, so that the same binaries make the same zip. check
// verifies the two zips in DIR: kefu-lambda-arm64.zip holds exactly bootstrap, a static
// linux/arm64 executable of at most 12 MiB; kefu-scf-amd64.zip holds exactly main, a static
// linux/amd64 executable, and scf_bootstrap, an executable bash script with LF line endings
// that execs /var/user/main.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: dist zip OUT.zip NAME=FILE[:MODE] ... | dist check DIR")
	}
	switch args[0] {
	case "zip":
		entries, err := parseEntries(args[2:])
		if err != nil {
			return err
		}
		return writeZip(args[1], entries)
	case "check":
		reports, err := checkDist(args[1])
		for _, r := range reports {
			fmt.Println(r)
		}
		return err
	}
	return fmt.Errorf("unknown command %q (want zip or check)", args[0])
}
