package store

import (
	"context"
	"testing"

	"relink/backend/integration"
)

// Kept metadata and an unconfirmed failure survive a round trip, and
// clearing them clears them.
func TestMetadataAndUnconfirmedRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	in := sample("sf-1", "Salesforce")
	in.Metadata = map[string]string{"instance_url": "https://acme.my.salesforce.com"}
	in.Unconfirmed = integration.NewProblem("problem.provider_outage", "status", "503")
	if err := s.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetIntegration(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata["instance_url"] != "https://acme.my.salesforce.com" || got.Unconfirmed == nil || got.Unconfirmed.Params["status"] != "503" {
		t.Fatalf("got metadata %v unconfirmed %+v; want both kept", got.Metadata, got.Unconfirmed)
	}
	got.Unconfirmed, got.Metadata = nil, nil
	if err := s.UpdateIntegration(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetIntegration(ctx, in.ID); got.Unconfirmed != nil || len(got.Metadata) != 0 {
		t.Errorf("after clearing: metadata %v unconfirmed %+v; want none", got.Metadata, got.Unconfirmed)
	}
}
