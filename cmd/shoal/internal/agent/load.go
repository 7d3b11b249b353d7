package agent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// BindFlags defines the agent's flags on fs; Load reads them back.
func BindFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "config file (YAML or JSON, keys are the flag names); env SHOAL_CONFIG")
	for _, s := range settings {
		usage := fmt.Sprintf("%s; env %s", s.usage, envName(s.name))
		switch {
		case s.list:
			fs.StringArray(s.name, nil, usage+" (comma-separated)")
		case s.flag:
			fs.Bool(s.name, false, usage)
		default:
			fs.String(s.name, s.def, usage)
		}
	}
}

// Getenv looks up an environment variable; os.LookupEnv fits.
type Getenv func(string) (string, bool)

// Load builds the configuration from the defaults, then the config file
// (--config or SHOAL_CONFIG), then the environment, then the flags set on
// the command line: each source overrides the ones before it, key by key.
func Load(fs *pflag.FlagSet, getenv Getenv) (Config, error) {
	var c Config
	for _, s := range settings {
		if !s.list {
			if err := s.apply(&c, []string{s.def}); err != nil {
				return c, fmt.Errorf("default of %s: %w", s.name, err) // a bug in the table
			}
		}
	}
	c.Config = fileName(fs, getenv)
	if c.Config != "" {
		values, err := readConfigFile(c.Config)
		if err != nil {
			return c, err
		}
		if err := applyAll(&c, values, func(name string) string { return fmt.Sprintf("config file %s: %s", c.Config, name) }); err != nil {
			return c, err
		}
	}
	if err := applyAll(&c, fromEnv(getenv), envName); err != nil {
		return c, err
	}
	if err := applyAll(&c, fromFlags(fs), func(name string) string { return "--" + name }); err != nil {
		return c, err
	}
	return c, c.validate()
}

func fileName(fs *pflag.FlagSet, getenv Getenv) string {
	if fs.Changed("config") {
		name, _ := fs.GetString("config")
		return name
	}
	name, _ := getenv("SHOAL_CONFIG")
	return name
}

// applyAll applies the values one source gives; where names a setting in
// that source for error messages.
func applyAll(c *Config, values map[string][]string, where func(string) string) error {
	for _, s := range settings {
		v, ok := values[s.name]
		if !ok {
			continue
		}
		if !s.list && len(v) != 1 {
			return fmt.Errorf("%s: want one value, not %d", where(s.name), len(v))
		}
		if err := s.apply(c, v); err != nil {
			return fmt.Errorf("%s: %w", where(s.name), err)
		}
		if s.name == "listen" {
			c.ListenSet = true
		}
	}
	return nil
}

func fromEnv(getenv Getenv) map[string][]string {
	out := map[string][]string{}
	for _, s := range settings {
		v, ok := getenv(envName(s.name))
		if !ok {
			continue
		}
		if s.list {
			out[s.name] = splitList(v)
		} else {
			out[s.name] = []string{v}
		}
	}
	return out
}

func fromFlags(fs *pflag.FlagSet) map[string][]string {
	out := map[string][]string{}
	for _, s := range settings {
		if !fs.Changed(s.name) {
			continue
		}
		switch {
		case s.list:
			out[s.name], _ = fs.GetStringArray(s.name)
		case s.flag:
			v, _ := fs.GetBool(s.name)
			out[s.name] = []string{strconv.FormatBool(v)}
		default:
			v, _ := fs.GetString(s.name)
			out[s.name] = []string{v}
		}
	}
	return out
}

// splitList splits a comma-separated value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c Config) validate() error {
	n := 0
	for _, f := range []string{c.CA, c.Cert, c.Key} {
		if f != "" {
			n++
		}
	}
	if n != 0 && n != 3 {
		return errors.New("--ca, --cert and --key go together: give all three or none")
	}
	if c.Data == "" {
		return errors.New("--data: empty data directory")
	}
	return nil
}
