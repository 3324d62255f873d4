// Package jsonenc holds the one rule Shakedown's JSON answers and events
// follow beyond encoding/json: a list is always a list. encoding/json writes
// a nil slice as null; clients would have to guard every array against it,
// and the OpenAPI document says arrays are arrays.
package jsonenc

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// EmptyLists returns v with every nil slice it holds (in struct fields,
// slices, maps, pointers and interfaces, however deep) replaced by an empty
// one, so that it encodes as [] rather than null. v itself is not changed:
// the parts that needed a change are copied. []byte (and json.RawMessage) is
// left alone: encoding/json writes it as base64 or raw JSON, not as a list.
// Values of types with their own MarshalJSON or MarshalText are left alone.
func EmptyLists(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if !mayHoldNil(rv.Type()) {
		return v
	}
	if out, changed := fill(rv); changed {
		return out.Interface()
	}
	return v
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	plans         sync.Map // reflect.Type → *plan
)

// plan is what EmptyLists needs to know of a type, decided once.
type plan struct {
	holdsNil bool    // a value of the type may hold a nil slice to replace
	fields   []field // struct: the fields that may
}

type field struct {
	index     int
	omitEmpty bool // a nil slice there is left out anyway
}

// mayHoldNil reports whether a value of t can hold a nil slice that
// EmptyLists replaces; types that cannot are never walked.
func mayHoldNil(t reflect.Type) bool { return planOf(t).holdsNil }

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	// A recursive type refers back to itself: assume it may while deciding.
	p := &plan{holdsNil: true}
	plans.Store(t, p)
	done := decide(t)
	plans.Store(t, done)
	return done
}

func decide(t reflect.Type) *plan {
	p := &plan{}
	if ownEncoding(t) {
		return p
	}
	switch t.Kind() {
	case reflect.Interface:
		p.holdsNil = true
	case reflect.Slice:
		p.holdsNil = t.Elem().Kind() != reflect.Uint8
	case reflect.Array, reflect.Pointer, reflect.Map:
		p.holdsNil = mayHoldNil(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); visible(f) && mayHoldNil(f.Type) {
				p.fields = append(p.fields, field{i, strings.Contains(f.Tag.Get("json"), ",omitempty")})
			}
		}
		p.holdsNil = len(p.fields) > 0
	}
	return p
}

// ownEncoding reports whether t encodes itself (time.Time, json.RawMessage…).
func ownEncoding(t reflect.Type) bool {
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler)
}

// visible reports whether encoding/json looks at a struct field that
// EmptyLists may set. (Fields promoted from an unexported embedded struct
// cannot be set through reflection; no answer type has one.)
func visible(f reflect.StructField) bool {
	return f.IsExported() && f.Tag.Get("json") != "-"
}

// fill returns v with its nil slices replaced, and whether anything changed
// (if not, the returned value is v).
func fill(v reflect.Value) (reflect.Value, bool) {
	t := v.Type()
	if !mayHoldNil(t) {
		return v, false
	}
	switch t.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		return fill(v.Elem())
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		inner, changed := fill(v.Elem())
		if !changed {
			return v, false
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(inner)
		return p, true
	case reflect.Slice:
		if v.IsNil() {
			return reflect.MakeSlice(t, 0, 0), true
		}
		var out reflect.Value // copied on the first changed element
		for i := range v.Len() {
			e, changed := fill(v.Index(i))
			if !changed {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeSlice(t, v.Len(), v.Len())
				reflect.Copy(out, v)
			}
			out.Index(i).Set(e)
		}
		if out.IsValid() {
			return out, true
		}
		return v, false
	case reflect.Array:
		var out reflect.Value
		for i := range v.Len() {
			e, changed := fill(v.Index(i))
			if !changed {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(t).Elem()
				out.Set(v)
			}
			out.Index(i).Set(e)
		}
		if out.IsValid() {
			return out, true
		}
		return v, false
	case reflect.Map:
		if v.IsNil() {
			return v, false
		}
		var out reflect.Value
		iter := v.MapRange()
		for iter.Next() {
			e, changed := fill(iter.Value())
			if !changed {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeMapWithSize(t, v.Len())
				for i2 := v.MapRange(); i2.Next(); {
					out.SetMapIndex(i2.Key(), i2.Value())
				}
			}
			out.SetMapIndex(iter.Key(), e)
		}
		if out.IsValid() {
			return out, true
		}
		return v, false
	case reflect.Struct:
		var out reflect.Value
		for _, f := range planOf(t).fields {
			i := f.index
			if f.omitEmpty && v.Field(i).Kind() == reflect.Slice && v.Field(i).IsNil() {
				continue
			}
			e, changed := fill(v.Field(i))
			if !changed {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(t).Elem()
				out.Set(v)
			}
			if field := out.Field(i); field.CanSet() {
				field.Set(e)
			}
		}
		if out.IsValid() {
			return out, true
		}
		return v, false
	}
	return v, false
}
