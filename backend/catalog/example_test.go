package catalog_test

import (
	"fmt"

	"relink/backend/catalog"
)

// A health check for a Shopify store: validate what the user typed, render
// the probe, add the credential from the keychain at the last moment.
func Example() {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	shopify, _ := c.Get("shopify")
	settings, err := shopify.ValidateSettings(map[string]string{"shop": " my-store ", "client_id": "abc"})
	if err != nil {
		panic(err)
	}
	probe, err := shopify.ProbeRequest(settings)
	if err != nil {
		panic(err)
	}
	req := probe.WithCredential("token-from-the-keychain")
	fmt.Println(req.URL)
	fmt.Println(req.Header.Get("X-Shopify-Access-Token") != "")

	_, err = shopify.ValidateSettings(map[string]string{"shop": "evil.com/x", "client_id": "abc"})
	fmt.Println(err)
	// Output:
	// https://my-store.myshopify.com/admin/api/2026-04/shop.json
	// true
	// invalid settings: error.field_invalid (field=shop, reason=pattern)
}
