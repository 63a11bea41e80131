package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
)

// getFile reads the local file of loc. Its ETag is derived from the modification time and the
// size, so a file left as it was is answered ErrNotModified after one stat, unread.
func (s *Store) getFile(ctx context.Context, loc Location, ifNoneMatch string) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(loc.Key)
	if err != nil {
		return nil, fileError(err)
	}
	if fi.IsDir() {
		return nil, errors.New("is a directory")
	}
	if ifNoneMatch != "" && ifNoneMatch == fileETag(fi) {
		return nil, ErrNotModified
	}
	f, err := os.Open(loc.Key)
	if err != nil {
		return nil, fileError(err)
	}
	defer f.Close()
	// Stat what was opened: the file may have been replaced since; the ETag must be the one
	// of the bytes read.
	if fi, err = f.Stat(); err != nil {
		return nil, fileError(err)
	}
	etag := fileETag(fi)
	if fi.Size() > s.max {
		return nil, tooLarge(s.max)
	}
	body, err := readLimited(f, s.max, fi.Size())
	if err != nil {
		return nil, fileError(err)
	}
	return &Object{Body: body, ETag: etag, ContentType: contentType(loc.Key, body), ModTime: fi.ModTime()}, nil
}

// fileETag is the ETag of a local file: its modification time (in nanoseconds) and size. A
// file rewritten within the file system's time resolution with the same size keeps its ETag;
// that is the price of deciding with a stat alone.
func fileETag(fi fs.FileInfo) string {
	return `"` + strconv.FormatInt(fi.ModTime().UnixNano(), 16) + "-" + strconv.FormatInt(fi.Size(), 16) + `"`
}

// getEmbed reads loc from the embedded file system. Its ETag is a hash of the content.
func (s *Store) getEmbed(ctx context.Context, loc Location, ifNoneMatch string) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.embedded == nil {
		return nil, errors.New("no embedded file system is configured")
	}
	f, err := s.embedded.Open(loc.Key)
	if err != nil {
		return nil, fileError(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileError(err)
	}
	if fi.IsDir() {
		return nil, errors.New("is a directory")
	}
	if fi.Size() > s.max {
		return nil, tooLarge(s.max)
	}
	body, err := readLimited(f, s.max, fi.Size())
	if err != nil {
		return nil, fileError(err)
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	if ifNoneMatch != "" && ifNoneMatch == etag {
		return nil, ErrNotModified
	}
	return &Object{Body: body, ETag: etag, ContentType: contentType(loc.Key, body), ModTime: fi.ModTime()}, nil
}

// putFile creates the local file of loc, and its parent directories, only if it does not exist.
func putFile(ctx context.Context, loc Location, body []byte) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dir := filepath.Dir(loc.Key); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fileError(err)
		}
	}
	f, err := os.OpenFile(loc.Key, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fileError(err)
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil { // a claim half written is no claim: let the next caller try
			_ = os.Remove(loc.Key)
			err = fileError(err)
		}
	}()
	_, err = f.Write(body)
	return err
}

// fileError classifies a file system error into the package's kinds, keeping only its cause
// in the message (the path is already in the wrapping error).
func fileError(err error) error {
	var kind error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = ErrNotFound
	case errors.Is(err, fs.ErrExist):
		kind = ErrExists
	case errors.Is(err, fs.ErrPermission):
		kind = ErrDenied
	default:
		return err
	}
	detail := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		detail = pe.Op + ": " + pe.Err.Error()
	}
	return &kindError{kind: kind, detail: detail, err: err}
}

// contentType is the media type of a file named name: from its extension, else sniffed from
// its first bytes.
func contentType(name string, body []byte) string {
	if t := mime.TypeByExtension(path.Ext(filepath.ToSlash(name))); t != "" {
		return t
	}
	return http.DetectContentType(body)
}
