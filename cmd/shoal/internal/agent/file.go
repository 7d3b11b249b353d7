package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readConfigFile reads a flat YAML or JSON object whose keys are flag
// names. A value is a string, number or boolean, or for a repeatable flag a
// list of them (a single string is a one-item list). Unknown keys are
// errors, so a misspelt key is not silently ignored.
func readConfigFile(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	raw := map[string]any{}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		err = dec.Decode(&raw)
	} else {
		err = yaml.Unmarshal(b, &raw) // JSON is YAML too, for files named otherwise
	}
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return fileValues(path, raw)
}

func fileValues(path string, raw map[string]any) (map[string][]string, error) {
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	out := map[string][]string{}
	for _, k := range sortedKeys(raw) {
		if !known[k] {
			return nil, fmt.Errorf("config file %s: unknown key %q", path, k)
		}
		v, err := scalars(raw[k])
		if err != nil {
			return nil, fmt.Errorf("config file %s: key %q: %w", path, k, err)
		}
		out[k] = v
	}
	return out, nil
}

// scalars turns a value or a list of values into strings.
func scalars(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		switch item.(type) {
		case string, bool, int, int64, uint64, float64, json.Number:
			out = append(out, fmt.Sprint(item))
		default:
			return nil, fmt.Errorf("want a string, number or list of them, not %T", item)
		}
	}
	return out, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
