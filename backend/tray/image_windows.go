package tray

import "encoding/binary"

// trayImage wraps a PNG in a one-image ICO container, which is what
// fyne.io/systray hands to LoadImage on Windows (PNG-compressed icon
// entries are supported since Vista).
func trayImage(png []byte) []byte {
	const header, entry = 6, 16
	b := make([]byte, header+entry, header+entry+len(png))
	binary.LittleEndian.PutUint16(b[2:], 1) // type: icon
	binary.LittleEndian.PutUint16(b[4:], 1) // one image
	// The PNG's IHDR holds its size; in ICO 0 means 256.
	if len(png) >= 24 {
		b[header] = byte(binary.BigEndian.Uint32(png[16:]))
		b[header+1] = byte(binary.BigEndian.Uint32(png[20:]))
	}
	binary.LittleEndian.PutUint16(b[header+4:], 1)  // colour planes
	binary.LittleEndian.PutUint16(b[header+6:], 32) // bits per pixel
	binary.LittleEndian.PutUint32(b[header+8:], uint32(len(png)))
	binary.LittleEndian.PutUint32(b[header+12:], header+entry)
	return append(b, png...)
}
