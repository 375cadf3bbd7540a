package gobackend

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

func TestNew(t *testing.T) {
	tests := []struct {
		env      string // "" means unset.
		wantName string
		wantErr  string
	}{
		{"", BackendName, ""},
		{"gofast", BackendName, ""},
		{"gofast:emulate", BackendName, ""},
		{"go", "go", ""},
		{"nosuch", "", "nosuch"},
	}
	for _, tt := range tests {
		t.Run("env="+tt.env, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv(backends.ConfigEnvVar, tt.env)
			} else {
				t.Setenv(backends.ConfigEnvVar, "") // Registers cleanup of the variable...
				unsetEnv(t, backends.ConfigEnvVar)  // ...then removes it for the test.
			}
			b, desc, err := New()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want error containing %q, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.wantName {
				t.Errorf("backend %q, want %q", b.String(), tt.wantName)
			}
			if !strings.Contains(desc, tt.wantName) {
				t.Errorf("description %q does not name %q", desc, tt.wantName)
			}
			t.Log(desc)
		})
	}
}
