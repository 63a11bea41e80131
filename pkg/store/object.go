// Package store reads objects from a local path, file://, https://, s3:// (Amazon S3, or
// Tencent COS through its S3 API) or an embedded file system, with entity tags for conditional
// reads, and writes objects only where none exists (conditional writes), for retry dedup.
package store

import (
	"errors"
	"time"
)

// Object is an object read from storage, held in memory.
type Object struct {
	// Body is the object's content.
	Body []byte
	// ETag identifies this version of the object. Pass it back to Get to read the object only
	// if it changed. For local files it is derived from the modification time and size; for
	// embedded files, from the content.
	ETag string
	// ContentType is the media type storage reported, or empty.
	ContentType string
	// ModTime is when the object was last changed, or zero when storage does not say.
	ModTime time.Time
}

// Errors that Get and PutIfAbsent return, wrapped with the source; match them with errors.Is.
var (
	// ErrNotFound means the object (or its bucket) does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrNotModified means the object still has the ETag the caller gave.
	ErrNotModified = errors.New("object not modified")
	// ErrTooLarge means the object is larger than the Store's size limit.
	ErrTooLarge = errors.New("object too large")
	// ErrExists means a conditional write found the object already there (412, or S3's 409
	// conflict between concurrent conditional writes).
	ErrExists = errors.New("object already exists")
	// ErrDenied means storage refused the credentials or the access (401, 403).
	ErrDenied = errors.New("access denied")
)
