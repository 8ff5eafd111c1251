//go:build ignore

// gen draws the tray icons: a filled circle in the state's colour with a
// glyph, so the state is never told by colour alone. Run with
// `go generate ./backend/tray/`.
package main

import (
	"flag"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

const size = 64

type pt struct{ x, y float64 }

// shape is a signed distance: negative inside, positive outside, in pixels.
type shape func(p pt) float64

func circle(c pt, r float64) shape {
	return func(p pt) float64 { return math.Hypot(p.x-c.x, p.y-c.y) - r }
}

func ring(c pt, r, w float64) shape {
	return func(p pt) float64 { return math.Abs(math.Hypot(p.x-c.x, p.y-c.y)-r) - w/2 }
}

// line is a stroke with round caps from a to b.
func line(a, b pt, w float64) shape {
	return func(p pt) float64 {
		dx, dy := b.x-a.x, b.y-a.y
		t := ((p.x-a.x)*dx + (p.y-a.y)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		return math.Hypot(p.x-(a.x+t*dx), p.y-(a.y+t*dy)) - w/2
	}
}

func union(ss ...shape) shape {
	return func(p pt) float64 {
		d := math.Inf(1)
		for _, s := range ss {
			d = math.Min(d, s(p))
		}
		return d
	}
}

type layer struct {
	s shape
	c color.NRGBA
}

type icon struct {
	name  string
	fill  color.NRGBA
	glyph shape
	ink   color.NRGBA
}

var (
	white  = color.NRGBA{255, 255, 255, 255}
	center = pt{32, 32}
	stroke = 6.0
)

var icons = []icon{
	{name: "healthy", fill: color.NRGBA{0x2e, 0x7d, 0x32, 255}, ink: white,
		glyph: union(line(pt{19, 33}, pt{28, 42}, stroke), line(pt{28, 42}, pt{45, 23}, stroke))},
	{name: "warning", fill: color.NRGBA{0xf9, 0xa8, 0x25, 255}, ink: color.NRGBA{0x3e, 0x27, 0x23, 255},
		glyph: union(line(pt{32, 17}, pt{32, 35}, stroke), circle(pt{32, 45}, 4))},
	{name: "broken", fill: color.NRGBA{0xc6, 0x28, 0x28, 255}, ink: white,
		glyph: union(line(pt{22, 22}, pt{42, 42}, stroke), line(pt{42, 22}, pt{22, 42}, stroke))},
	{name: "checking", fill: color.NRGBA{0x15, 0x65, 0xc0, 255}, ink: white,
		glyph: union(circle(pt{19, 32}, 4.5), circle(pt{32, 32}, 4.5), circle(pt{45, 32}, 4.5))},
	{name: "offline", fill: color.NRGBA{0x61, 0x61, 0x61, 255}, ink: white,
		glyph: union(ring(center, 12, 5), line(pt{20, 44}, pt{44, 20}, 5))},
	{name: "paused", fill: color.NRGBA{0x54, 0x6e, 0x7a, 255}, ink: white,
		glyph: union(line(pt{26, 22}, pt{26, 42}, 7), line(pt{38, 22}, pt{38, 42}, 7))},
}

func darker(c color.NRGBA) color.NRGBA {
	return color.NRGBA{c.R * 6 / 10, c.G * 6 / 10, c.B * 6 / 10, 255}
}

// render supersamples each pixel 4×4 so edges are antialiased.
func render(layers []layer) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, b, a float64
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					p := pt{float64(x) + (float64(sx)+0.5)/n, float64(y) + (float64(sy)+0.5)/n}
					var c color.NRGBA
					for _, l := range layers {
						if l.s(p) <= 0 {
							c = l.c
						}
					}
					ca := float64(c.A) / 255
					r, g, b, a = r+float64(c.R)*ca, g+float64(c.G)*ca, b+float64(c.B)*ca, a+ca
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{
				R: uint8(r/a + 0.5), G: uint8(g/a + 0.5), B: uint8(b/a + 0.5),
				A: uint8(a/(n*n)*255 + 0.5),
			})
		}
	}
	return img
}

func main() {
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	for _, ic := range icons {
		// A darker rim keeps the disc visible on a panel of the same colour.
		img := render([]layer{
			{circle(center, 30), darker(ic.fill)},
			{circle(center, 28), ic.fill},
			{ic.glyph, ic.ink},
		})
		f, err := os.Create(filepath.Join(*out, ic.name+".png"))
		if err != nil {
			log.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}
