// Package bridge declares in TypeScript what Go offers the page: the
// methods Wails binds, the models they carry as encoding/json writes them,
// and the events with their payloads. The frontend's hand-written
// api.ts, types.ts and events.ts are checked against that declaration
// (frontend/src/lib/bridge.check.ts), so a change on one side that the
// other does not follow fails a test instead of a user.
package bridge

import (
	"encoding"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Event is one event the page listens to and its payload's Go type (nil:
// none).
type Event struct {
	Name    string
	Payload reflect.Type
}

// Declare returns the TypeScript module for the exported methods of bound
// (each returning (T, error)) and for events. header is its first
// comment.
func Declare(header string, bound reflect.Type, events []Event) (string, error) {
	d := &decl{names: map[reflect.Type]string{}, taken: map[string]reflect.Type{}}
	var api strings.Builder
	api.WriteString("export interface Backend {\n")
	for i := 0; i < bound.NumMethod(); i++ {
		m := bound.Method(i)
		if m.Type.NumOut() != 2 || m.Type.Out(1) != reflect.TypeFor[error]() {
			return "", fmt.Errorf("bound method %s returns %d values; want (T, error)", m.Name, m.Type.NumOut())
		}
		var params []string
		// In(0) is the receiver.
		for j := 1; j < m.Type.NumIn(); j++ {
			t, err := d.ts(m.Type.In(j))
			if err != nil {
				return "", fmt.Errorf("%s parameter %d: %w", m.Name, j, err)
			}
			params = append(params, fmt.Sprintf("arg%d: %s", j-1, t))
		}
		out, err := d.ts(m.Type.Out(0))
		if err != nil {
			return "", fmt.Errorf("%s result: %w", m.Name, err)
		}
		fmt.Fprintf(&api, "  %s(%s): Promise<%s>;\n", m.Name, strings.Join(params, ", "), out)
	}
	api.WriteString("}\n\n")
	api.WriteString("export interface Events {\n")
	for _, e := range events {
		param := ""
		if e.Payload != nil {
			t, err := d.ts(e.Payload)
			if err != nil {
				return "", fmt.Errorf("event %s: %w", e.Name, err)
			}
			param = "payload: " + t
		}
		fmt.Fprintf(&api, "  '%s': (%s) => void;\n", e.Name, param)
	}
	api.WriteString("}\n")
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\n")
	for _, m := range d.models {
		b.WriteString(m)
		b.WriteString("\n")
	}
	b.WriteString(api.String())
	return b.String(), nil
}

// decl collects the named models in the order they are first met.
type decl struct {
	names  map[reflect.Type]string
	taken  map[string]reflect.Type
	models []string
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// ts is the TypeScript type of what encoding/json writes for t.
func (d *decl) ts(t reflect.Type) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return "string", nil
	}
	if t.Implements(marshalerType) || t.Implements(textType) || reflect.PointerTo(t).Implements(marshalerType) {
		// Its JSON is whatever its method writes: reflection cannot tell.
		return "", fmt.Errorf("%s marshals itself; give the page a plain type", t)
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number", nil
	case reflect.String:
		return "string", nil
	case reflect.Interface:
		return "unknown", nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string", nil // base64
		}
		e, err := d.ts(t.Elem())
		if err != nil {
			return "", err
		}
		if strings.ContainsAny(e, " |") {
			e = "(" + e + ")"
		}
		return e + "[]", nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return "", fmt.Errorf("%s: map keys other than strings", t)
		}
		v, err := d.ts(t.Elem())
		if err != nil {
			return "", err
		}
		return "Record<string, " + v + ">", nil
	case reflect.Struct:
		return d.model(t)
	}
	return "", fmt.Errorf("%s: %s values do not cross the bridge", t, t.Kind())
}

// model declares a named struct once and returns its name.
func (d *decl) model(t reflect.Type) (string, error) {
	if t.Name() == "" {
		return d.fields(t)
	}
	if n, ok := d.names[t]; ok {
		return n, nil
	}
	name := t.Name()
	if other, ok := d.taken[name]; ok && other != t {
		// Two packages use the name: qualify this one with its package.
		pkg := path.Base(t.PkgPath())
		name = strings.ToUpper(pkg[:1]) + pkg[1:] + name
	}
	d.names[t], d.taken[name] = name, t
	body, err := d.fields(t)
	if err != nil {
		return "", err
	}
	d.models = append(d.models, fmt.Sprintf("/** %s */\nexport interface %s %s\n", t, name, body))
	return name, nil
}

// fields writes a struct's JSON object type: the tag's name, optional
// with omitempty or omitzero, embedded structs' fields promoted.
func (d *decl) fields(t reflect.Type) (string, error) {
	var lines []string
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || len(f.Index) > 1 && !promoted(t, f) {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			continue // its fields are visible fields of t
		}
		if name == "" {
			name = f.Name
		}
		typ, err := d.ts(f.Type)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		opt := ""
		if o := strings.Split(opts, ","); slices.Contains(o, "omitempty") || slices.Contains(o, "omitzero") {
			opt = "?"
		} else if f.Type.Kind() == reflect.Pointer || f.Type.Kind() == reflect.Interface {
			typ += " | null"
		}
		lines = append(lines, fmt.Sprintf("  %s%s: %s;", name, opt, typ))
	}
	if len(lines) == 0 {
		return "{}", nil
	}
	return "{\n" + strings.Join(lines, "\n") + "\n}", nil
}

// promoted reports whether f reaches t through untagged embedded structs
// only, the way encoding/json promotes fields.
func promoted(t reflect.Type, f reflect.StructField) bool {
	for _, i := range f.Index[:len(f.Index)-1] {
		e := t.Field(i)
		if e.Tag.Get("json") != "" || !e.Anonymous {
			return false
		}
		t = e.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	return true
}
