package main

import (
	"reflect"
	"strings"
	"testing"
)

// TestBoundMethodsReturnNoCredentialFields walks every type a bound method
// returns to the window and every event payload, so neither can carry a
// secret-shaped field to the frontend unnoticed (the values are checked in
// backend/services TestBoundResultsNeverCarrySecrets).
func TestBoundMethodsReturnNoCredentialFields(t *testing.T) {
	app := reflect.TypeOf(&App{})
	// Named like credentials but describing a form: a field's name in the
	// catalog ("api_key") and whether it is secret.
	describes := map[string]bool{"FieldView.Key": true, "FieldView.Secret": true}
	seen := map[reflect.Type]bool{}
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			n := strings.ToLower(f.Name)
			if describes[typ.Name()+"."+f.Name] {
				continue
			}
			if strings.Contains(n, "token") || strings.Contains(n, "secret") || strings.Contains(n, "password") || n == "key" || strings.HasSuffix(n, "apikey") {
				t.Errorf("%s.%s looks like a credential", path, f.Name)
			}
			walk(path+"."+f.Name, f.Type)
		}
	}
	methods := 0
	for i := 0; i < app.NumMethod(); i++ {
		m := app.Method(i)
		if m.Type.NumOut() != 2 || m.Type.Out(1) != reflect.TypeOf((*error)(nil)).Elem() {
			t.Errorf("bound method %s returns %d values; want (T, error)", m.Name, m.Type.NumOut())
			continue
		}
		methods++
		walk(m.Name, m.Type.Out(0))
	}
	if methods < 20 {
		t.Errorf("found %d bound methods; want every one the window uses", methods)
	}
	// Event payloads reach the page too.
	for _, e := range pageEvents() {
		if e.Payload != nil {
			walk(e.Name, e.Payload)
		}
	}
}
