package agent

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// load parses args as the agent's flags and loads with env as the environment.
func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("agent", pflag.ContinueOnError)
	BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != "./shoal-data" || c.API != "127.0.0.1:7401" || c.Listen != "0.0.0.0:7400" || c.LogFmt != "text" ||
		c.LogLvl != "info" || c.MaxVal != 0 || c.Timeout.String() != "10s" || c.Peers != nil || c.ListenSet {
		t.Errorf("defaults = %+v", c)
	}
	if c.NodeListen() != "" {
		t.Errorf("a bare agent listens for peers on %q; it should stay local-only", c.NodeListen())
	}
}

// TestPrecedence sets every key in the file, some in the environment and
// fewer on the command line: each source wins over the ones below it.
func TestPrecedence(t *testing.T) {
	file := writeFile(t, "shoal.yaml", `
data: /from/file
api: 127.0.0.1:1001
listen: 0.0.0.0:1002
peer: [file-a:1, file-b:1]
log-format: json
log-level: debug
max-value-size: 100
shutdown-timeout: 3s
fresh-replica: true
`)
	env := map[string]string{
		"SHOAL_CONFIG":         file,
		"SHOAL_API":            "127.0.0.1:2001",
		"SHOAL_PEER":           "env-a:2, env-b:2,",
		"SHOAL_MAX_VALUE_SIZE": "200",
		"SHOAL_LOG_LEVEL":      "warn",
	}
	c, err := load(t, []string{"--api", "127.0.0.1:3001", "--peer", "flag-a:3", "--peer", "flag-b:3", "--log-level", "error"}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Data: "/from/file", Listen: "0.0.0.0:1002", ListenSet: true, API: "127.0.0.1:3001",
		Peers: []string{"flag-a:3", "flag-b:3"}, Config: file, LogFmt: "json", LogLvl: "error",
		MaxVal: 200, Timeout: 3e9, FreshReplica: true,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config =\n%+v\nwant\n%+v", c, want)
	}
	c, err = load(t, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.API != "127.0.0.1:2001" || !reflect.DeepEqual(c.Peers, []string{"env-a:2", "env-b:2"}) || c.LogLvl != "warn" {
		t.Errorf("without flags: %+v", c)
	}
}

func TestJSONFileAndConfigFlag(t *testing.T) {
	file := writeFile(t, "shoal.json", `{"data": "/j", "peer": "one:1", "max-value-size": 64}`)
	other := writeFile(t, "other.yaml", `data: /other`)
	c, err := load(t, []string{"--config", file}, map[string]string{"SHOAL_CONFIG": other})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != "/j" || !reflect.DeepEqual(c.Peers, []string{"one:1"}) || c.MaxVal != 64 || c.ListenSet {
		t.Errorf("config = %+v", c)
	}
	if c.NodeListen() != "0.0.0.0:7400" {
		t.Errorf("with peers the node should listen on the default, got %q", c.NodeListen())
	}
}

func TestBadConfig(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		file string
		says string
	}{
		{file: "dta: /x\n", says: `unknown key "dta"`},
		{file: "data: [a, b]\n", says: "want one value"},
		{file: "data: {a: 1}\n", says: "want a string"},
		{file: "data: [unclosed\n", says: "config file"},
		{env: map[string]string{"SHOAL_MAX_VALUE_SIZE": "lots"}, says: `SHOAL_MAX_VALUE_SIZE: want a number of bytes`},
		{args: []string{"--log-format", "xml"}, says: `--log-format: want one of text, json`},
		{args: []string{"--shutdown-timeout", "-1s"}, says: "--shutdown-timeout"},
		{args: []string{"--ca", "ca.crt"}, says: "go together"},
		{env: map[string]string{"SHOAL_FRESH_REPLICA": "maybe"}, says: `SHOAL_FRESH_REPLICA: want true or false`},
		{file: "fresh-replica: [true, false]\n", says: "want one value"},
		{args: []string{"--config", "/no/such/file.yaml"}, says: "no such file"},
	}
	for _, c := range cases {
		args := c.args
		if c.file != "" {
			args = append(args, "--config", writeFile(t, "c.yaml", c.file))
		}
		_, err := load(t, args, c.env)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v %v %q: error %v, want one saying %q", c.args, c.env, c.file, err, c.says)
		}
	}
}

// TestFreshReplica checks the one boolean setting through every source:
// a bare flag means true, and a later source can turn it off again.
func TestFreshReplica(t *testing.T) {
	yes := writeFile(t, "fresh.yaml", "fresh-replica: true\n")
	cases := []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{nil, nil, false},
		{[]string{"--fresh-replica"}, nil, true},
		{[]string{"--fresh-replica=false"}, map[string]string{"SHOAL_FRESH_REPLICA": "true"}, false},
		{nil, map[string]string{"SHOAL_FRESH_REPLICA": "1"}, true},
		{[]string{"--config", yes}, nil, true},
		{[]string{"--config", yes}, map[string]string{"SHOAL_FRESH_REPLICA": "false"}, false},
	}
	for _, c := range cases {
		got, err := load(t, c.args, c.env)
		if err != nil || got.FreshReplica != c.want {
			t.Errorf("%v %v: FreshReplica %v (%v), want %v", c.args, c.env, got.FreshReplica, err, c.want)
		}
	}
}

// TestScopeRuleFlag: --scope-rule is repeatable and keeps its order; the
// environment takes a comma-separated list (no pattern holds a comma),
// the config file a list or a single string; a later source replaces the
// whole list.
func TestScopeRuleFlag(t *testing.T) {
	block := writeFile(t, "block.yaml", "scope-rule:\n  - users/admin/\n  - users/{user}/\n")
	flow := writeFile(t, "flow.yaml", `scope-rule: ["users/{user}/", "catalog/"]`+"\n")
	one := writeFile(t, "one.json", `{"scope-rule": "catalog/"}`)
	cases := []struct {
		args []string
		env  map[string]string
		want []string
	}{
		{nil, nil, nil},
		{[]string{"--scope-rule", "users/admin/", "--scope-rule", "users/{user}/"}, nil, []string{"users/admin/", "users/{user}/"}},
		{nil, map[string]string{"SHOAL_SCOPE_RULE": "users/{user}/, catalog/"}, []string{"users/{user}/", "catalog/"}},
		{[]string{"--config", block}, nil, []string{"users/admin/", "users/{user}/"}},
		{[]string{"--config", flow}, nil, []string{"users/{user}/", "catalog/"}},
		{[]string{"--config", one}, nil, []string{"catalog/"}},
		{[]string{"--config", block, "--scope-rule", "sites/{site}/"}, map[string]string{"SHOAL_SCOPE_RULE": "catalog/"}, []string{"sites/{site}/"}},
		{[]string{"--config", block}, map[string]string{"SHOAL_SCOPE_RULE": "catalog/"}, []string{"catalog/"}},
	}
	for _, c := range cases {
		got, err := load(t, c.args, c.env)
		if err != nil || !reflect.DeepEqual(got.ScopeRules, c.want) {
			t.Errorf("%v %v: ScopeRules %q (%v), want %q", c.args, c.env, got.ScopeRules, err, c.want)
		}
	}
}
