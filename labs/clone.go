package labs

import (
	"context"
	"fmt"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// Volume is a storage volume in Shakedown's pool.
type Volume struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	Capacity   uint64 `json:"capacity"`
	Allocation uint64 `json:"allocation"`
}

// LinkedClone creates a qcow2 volume whose backing store is base: O(1) in
// the base's size, sharing every unchanged block with it.
func (h *Host) LinkedClone(ctx context.Context, name, basePath, baseFormat string, capacity uint64) (Volume, error) {
	l, pool, err := h.Pool(ctx)
	if err != nil {
		return Volume{}, err
	}
	if baseFormat == "" {
		baseFormat = "qcow2"
	}
	x := &libvirtxml.StorageVolume{
		Name:     name,
		Capacity: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: capacity},
		Target: &libvirtxml.StorageVolumeTarget{
			Format:      &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"},
			Permissions: &libvirtxml.StorageVolumeTargetPermissions{Mode: "0600"},
		},
		BackingStore: &libvirtxml.StorageVolumeBackingStore{
			Path:   basePath,
			Format: &libvirtxml.StorageVolumeTargetFormat{Type: baseFormat},
		},
	}
	doc, err := x.Marshal()
	if err != nil {
		return Volume{}, err
	}
	vol, err := l.StorageVolCreateXML(pool, doc, 0)
	if err != nil {
		return Volume{}, fmt.Errorf("linked clone %s of %s: %w", name, basePath, err)
	}
	return volumeInfo(l, vol)
}

func volumeInfo(l *libvirt.Libvirt, vol libvirt.StorageVol) (Volume, error) {
	path, err := l.StorageVolGetPath(vol)
	if err != nil {
		return Volume{}, err
	}
	_, capacity, alloc, err := l.StorageVolGetInfo(vol)
	if err != nil {
		return Volume{}, err
	}
	return Volume{Name: vol.Name, Path: path, Capacity: capacity, Allocation: alloc}, nil
}

// VolumeByPath looks a volume up by its file path.
func (h *Host) VolumeByPath(ctx context.Context, path string) (Volume, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return Volume{}, err
	}
	vol, err := l.StorageVolLookupByPath(path)
	if err != nil {
		return Volume{}, err
	}
	return volumeInfo(l, vol)
}

// DeleteVolume removes a volume from Shakedown's pool. It reports whether
// there was one to remove; a missing one is not an error.
func (h *Host) DeleteVolume(ctx context.Context, name string) (bool, error) {
	l, pool, err := h.Pool(ctx)
	if err != nil {
		return false, err
	}
	vol, err := l.StorageVolLookupByName(pool, name)
	if isNoSuch(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := l.StorageVolDelete(vol, 0); err != nil {
		if isNoSuch(err) {
			return false, nil
		}
		return false, fmt.Errorf("delete volume %s: %w", name, err)
	}
	return true, nil
}

// Volumes lists the volumes in Shakedown's pool.
func (h *Host) Volumes(ctx context.Context) ([]Volume, error) {
	l, pool, err := h.Pool(ctx)
	if err != nil {
		return nil, err
	}
	if err := l.StoragePoolRefresh(pool, 0); err != nil {
		return nil, err
	}
	vols, _, err := l.StoragePoolListAllVolumes(pool, 1, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Volume, 0, len(vols))
	for _, v := range vols {
		info, err := volumeInfo(l, v)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, info)
	}
	return out, nil
}
