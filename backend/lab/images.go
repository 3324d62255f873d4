package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

// Image is a disk image of a configuration item imported into a host's
// pool (P2V): what labs clone a physical machine from.
type Image struct {
	ID           int64     `json:"id"`
	CIID         int64     `json:"ci_id"`
	Host         string    `json:"host"`
	Volume       string    `json:"volume"`
	Path         string    `json:"path"`
	Format       string    `json:"format"`
	SourceFormat string    `json:"source_format"`
	Capacity     uint64    `json:"capacity"`
	Bytes        int64     `json:"bytes"`
	SHA256       string    `json:"sha256"`
	Origin       string    `json:"origin"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// MaxImageBytes bounds one imported image.
var MaxImageBytes int64 = 256 << 30

// ImportCIImage streams a disk image into the host's pool and records it
// as the CI's newest image. origin says where it came from (an upload's
// file name, "ssh root@db7:/dev/sda").
func (s *Service) ImportCIImage(ctx context.Context, by auth.Actor, ciID int64, hostName string, r io.Reader, size int64, origin string) (Image, error) {
	ci, err := s.releases.GetCI(ctx, ciID)
	if err != nil {
		return Image{}, err
	}
	if size > MaxImageBytes {
		return Image{}, apperr.Invalid("size", "The image is %d GiB; the limit is %d GiB.", size>>30, MaxImageBytes>>30)
	}
	if hostName == "" {
		hostName = LocalHost
	}
	host, err := s.hosts.Get(hostName)
	if err != nil {
		return Image{}, apperr.Invalid("host", "Host %s is not registered.", hostName)
	}
	name := fmt.Sprintf("sd-image-%d-%s.img", ciID, randomHex(4))
	imp, err := host.ImportImage(ctx, name, r, size, nil)
	if err != nil {
		return Image{}, err
	}
	img := Image{CIID: ci.ID, Host: hostName, Volume: imp.Volume.Name, Path: imp.Volume.Path, Format: imp.Format, SourceFormat: imp.SourceFormat,
		Capacity: imp.Volume.Capacity, Bytes: imp.Bytes, SHA256: imp.SHA256, Origin: origin, CreatedBy: by.Username, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO ci_images (ci_id, host, volume, path, format, source_format, capacity, bytes, sha256, origin, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, img.CIID, img.Host, img.Volume, img.Path, img.Format, img.SourceFormat, img.Capacity,
			img.Bytes, img.SHA256, img.Origin, img.CreatedBy, store.FormatTime(img.CreatedAt))
		if err != nil {
			return err
		}
		img.ID, _ = res.LastInsertId()
		return audit.Append(ctx, tx, img.CreatedAt, audit.Record{Actor: by.Username, Action: "ci.image.import", Entity: "ci",
			EntityID: strconv.FormatInt(ci.ID, 10), After: img})
	})
	if err != nil {
		host.DeleteVolume(context.WithoutCancel(ctx), img.Volume)
		return Image{}, err
	}
	return img, nil
}

// Images lists a CI's imported images, newest first.
func (s *Service) Images(ctx context.Context, ciID int64) ([]Image, error) {
	return s.queryImages(ctx, `WHERE ci_id = ? AND state = 'ready'`, ciID)
}

func (s *Service) queryImages(ctx context.Context, where string, args ...any) ([]Image, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, ci_id, host, volume, path, format, source_format, capacity, bytes, sha256, origin, created_by, created_at
		FROM ci_images `+where+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Image{}
	for rows.Next() {
		var i Image
		var at string
		if err := rows.Scan(&i.ID, &i.CIID, &i.Host, &i.Volume, &i.Path, &i.Format, &i.SourceFormat, &i.Capacity, &i.Bytes, &i.SHA256, &i.Origin, &i.CreatedBy, &at); err != nil {
			return nil, err
		}
		i.CreatedAt, _ = store.ParseTime(at)
		out = append(out, i)
	}
	return out, rows.Err()
}

var errNoImage = errors.New("no imported image")

func (s *Service) latestImage(ctx context.Context, ciID int64) (Image, error) {
	imgs, err := s.Images(ctx, ciID)
	if err != nil {
		return Image{}, err
	}
	if len(imgs) == 0 {
		return Image{}, errNoImage
	}
	return imgs[0], nil
}

// DeleteImage removes an imported image of a CI, unless a live lab is
// built on it. The row is marked deleting (and audited) first, the volume
// goes, then the row: a failure half-way leaves a row that reconciliation
// finishes, never a row pointing at nothing.
func (s *Service) DeleteImage(ctx context.Context, by auth.Actor, ciID, imageID int64) error {
	var img Image
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		imgs, err := s.queryImages(ctx, `WHERE id = ? AND ci_id = ? AND state = 'ready'`, imageID, ciID)
		if err != nil {
			return err
		}
		if len(imgs) == 0 {
			return apperr.NotFound("disk image", imageID)
		}
		img = imgs[0]
		var inUse int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM lab_bases b JOIN labs l ON l.id = b.lab_id
			WHERE b.base_path = ? AND b.state = 'in-use' AND l.status NOT IN ('torn-down','error')`, img.Path).Scan(&inUse); err != nil {
			return err
		}
		if inUse > 0 {
			return apperr.Conflict("", "Disk image %d is the base of %d live lab(s); tear them down first.", imageID, inUse)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ci_images SET state = 'deleting' WHERE id = ?`, imageID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "ci.image.delete", Entity: "ci",
			EntityID: strconv.FormatInt(ciID, 10), Before: img})
	})
	if err != nil {
		return err
	}
	return s.finishImageDelete(ctx, img)
}

// finishImageDelete removes a deleting image's volume, then its row.
func (s *Service) finishImageDelete(ctx context.Context, img Image) error {
	host, err := s.hosts.Get(img.Host)
	if err != nil {
		return err
	}
	if _, err := host.DeleteVolume(ctx, img.Volume); err != nil {
		return fmt.Errorf("delete the volume of disk image %d (it is removed when the host answers again): %w", img.ID, err)
	}
	return s.exec(ctx, `DELETE FROM ci_images WHERE id = ?`, img.ID)
}

// finishImageDeletes completes the deletions a stop or a host that was
// down interrupted.
func (s *Service) finishImageDeletes(ctx context.Context) []string {
	imgs, err := s.queryImages(ctx, `WHERE state = 'deleting'`)
	if err != nil {
		return []string{err.Error()}
	}
	var done []string
	for _, img := range imgs {
		if err := s.finishImageDelete(ctx, img); err == nil {
			done = append(done, fmt.Sprintf("disk image %d of CI %d (volume %s)", img.ID, img.CIID, img.Volume))
		}
	}
	return done
}
