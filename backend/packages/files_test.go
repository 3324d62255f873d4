package packages

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/linediff"
)

func TestFilesShowTextInlineAndBinariesBySize(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	ms := append(goodMembers(), member{name: "bin/app", body: "\x7fELF\x00\x01\x02binary"}, member{name: "big.txt", body: strings.Repeat("x\n", MaxInlineText)})
	p, err := s.Put(ctx, tess, bytes.NewReader(tarGz(t, ms...)), "webapp.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	fl, err := s.Files(ctx, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]File{}
	for _, f := range fl.Files {
		by[f.Path] = f
	}
	if f := by["install.sh"]; f.Kind != FileText || f.Text != "cp files/version.txt /srv/www/\n" || strings.Join(f.Roles, ",") != "install" {
		t.Errorf("install.sh = %+v", f)
	}
	if f := by["shakedown.yaml"]; f.Kind != FileText || f.Roles[0] != "manifest" {
		t.Errorf("manifest = %+v", f)
	}
	if f := by["files/version.txt"]; strings.Join(f.Roles, ",") != "placed" {
		t.Errorf("placed file = %+v", f)
	}
	if f := by["bin/app"]; f.Kind != FileBinary || f.Text != "" || f.Size != 13 || len(f.SHA256) != 64 {
		t.Errorf("binary = %+v", f)
	}
	if f := by["big.txt"]; f.Kind != FileLarge || f.Text != "" || f.Size != 2*MaxInlineText {
		t.Errorf("large text = %+v", f)
	}
	if f := by["files"]; f.Kind != FileDir {
		t.Errorf("dir = %+v", f)
	}
	// the manifest's files come first
	if len(fl.Files[0].Roles) == 0 || len(fl.Files[len(fl.Files)-1].Roles) != 0 {
		t.Errorf("order: %v first, %v last", fl.Files[0].Path, fl.Files[len(fl.Files)-1].Path)
	}
	if _, err := s.Files(ctx, "sha256:"+strings.Repeat("0", 64)); err == nil {
		t.Error("an unknown digest gave files")
	}
}

func TestDiffBetweenTwoStoredPackages(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	old, err := s.Put(ctx, tess, bytes.NewReader(tarGz(t, append(goodMembers(), member{name: "gone.txt", body: "bye\n"}, member{name: "bin/app", body: "\x00v1"})...)), "")
	if err != nil {
		t.Fatal(err)
	}
	ms := goodMembers()
	ms[1].body = "cp files/version.txt /srv/www/\nsystemctl reload nginx\n"
	ms[5].body = "2.4.2\n"
	ms = append(ms, member{name: "new.txt", body: "hello\n"}, member{name: "bin/app", body: "\x00v2!"})
	cur, err := s.Put(ctx, tess, bytes.NewReader(tarGz(t, ms...)), "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Diff(ctx, old.Digest, cur.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if d.Added != 1 || d.Removed != 1 || d.Changed != 3 || d.Unchanged != 4 || d.Base.Digest != old.Digest || d.Head.Digest != cur.Digest {
		t.Fatalf("diff counts: +%d -%d ~%d =%d", d.Added, d.Removed, d.Changed, d.Unchanged)
	}
	by := map[string]FileChange{}
	for _, f := range d.Files {
		by[f.Path] = f
	}
	inst := by["install.sh"]
	if inst.Change != FileChanged || linediff.Format(inst.Hunks) != "@@ -1,1 +1,2 @@\n cp files/version.txt /srv/www/\n+systemctl reload nginx\n" {
		t.Errorf("install.sh: %+v\n%s", inst, linediff.Format(inst.Hunks))
	}
	if f := by["new.txt"]; f.Change != FileAdded || linediff.Format(f.Hunks) != "@@ -0,0 +1,1 @@\n+hello\n" {
		t.Errorf("new.txt: %+v", f)
	}
	if f := by["gone.txt"]; f.Change != FileRemoved || f.OldSize != 4 || len(f.Hunks) != 1 {
		t.Errorf("gone.txt: %+v", f)
	}
	if f := by["bin/app"]; f.Change != FileChanged || f.Kind != FileBinary || f.OldSize != 3 || f.NewSize != 4 || f.Note == "" || len(f.Hunks) != 0 {
		t.Errorf("bin/app: %+v", f)
	}
	if d.Files[0].Path != "install.sh" {
		t.Errorf("the scripts come first, got %s", d.Files[0].Path)
	}
}

func TestFilesInlineTextIsBoundedScriptsFirst(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	ms := goodMembers()
	chunk := strings.Repeat("y\n", MaxInlineText/2-1)
	for i := 0; i < MaxInlineTotal/len(chunk)+4; i++ {
		ms = append(ms, member{name: "data/" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + ".txt", body: chunk})
	}
	p, err := s.Put(ctx, tess, bytes.NewReader(tarGz(t, ms...)), "")
	if err != nil {
		t.Fatal(err)
	}
	fl, err := s.Files(ctx, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	inline, elided := 0, 0
	for _, f := range fl.Files {
		inline += len(f.Text)
		if f.Elided {
			elided++
			if f.Text != "" || f.Kind != FileText {
				t.Errorf("elided %+v", f)
			}
		}
		if len(f.Roles) > 0 && f.Kind == FileText && f.Text == "" {
			t.Errorf("a script lost its text: %s", f.Path)
		}
	}
	if inline > MaxInlineTotal || elided < 4 {
		t.Errorf("%d bytes inline, %d elided", inline, elided)
	}
}

