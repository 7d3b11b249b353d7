package cli

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/shoal-db/shoal/cmd/shoal/internal/client"
	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/spf13/cobra"
)

func counterCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "counter", Short: "Add to and read counters"}
	out := addOutput(cmd)
	cmd.AddCommand(
		negativeArgs(&cobra.Command{
			Use: "add KEY N", Short: "Add N (may be negative) to the counter and print its total", Args: cobra.MinimumNArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := flagsAfter(cmd, args[2:]); err != nil {
					return err
				}
				n, err := strconv.ParseInt(args[1], 10, 64)
				if err != nil {
					return fmt.Errorf("the amount must be an integer, not %q", args[1])
				}
				return withClient(cmd, func(c *client.Client) error {
					v, err := c.CounterAdd(cmd.Context(), args[0], n)
					return printCounter(cmd, out, v, err)
				})
			},
		}),
		&cobra.Command{
			Use: "get KEY", Short: "Print the counter (0 when absent)", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withClient(cmd, func(c *client.Client) error {
					v, err := c.Counter(cmd.Context(), args[0])
					return printCounter(cmd, out, v, err)
				})
			},
		},
	)
	return cmd
}

// negativeArgs lets "counter add KEY -3" work: flag parsing stops at the
// first argument, so "-3" is not taken for a flag; flagsAfter parses the
// flags that follow the arguments.
func negativeArgs(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func flagsAfter(cmd *cobra.Command, rest []string) error {
	if err := cmd.Flags().Parse(rest); err != nil {
		return err
	}
	if extra := cmd.Flags().Args(); len(extra) > 0 {
		return fmt.Errorf("unexpected arguments %q", extra)
	}
	return nil
}

func printCounter(cmd *cobra.Command, out *output, v int64, err error) error {
	return show(cmd, out, err, httpapi.CounterValue{Value: v}, func() { fmt.Fprintln(cmd.OutOrStdout(), v) })
}

// show writes v as JSON with -o json, else runs text; err short-cuts both.
func show(cmd *cobra.Command, out *output, err error, v any, text func()) error {
	if err != nil {
		return err
	}
	asJSON, err := out.json()
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(cmd, v)
	}
	text()
	return nil
}

func setCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "set", Short: "Add to, remove from and read sets"}
	out := addOutput(cmd)
	update := func(use, short string, remove bool) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.MinimumNArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				add, rm := args[1:], []string(nil)
				if remove {
					add, rm = nil, args[1:]
				}
				return withClient(cmd, func(c *client.Client) error { return c.SetUpdate(cmd.Context(), args[0], add, rm) })
			},
		}
	}
	cmd.AddCommand(
		update("add KEY MEMBER...", "Add members to the set", false),
		update("rm KEY MEMBER...", "Remove members from the set", true),
		&cobra.Command{
			Use: "members KEY", Short: "Print the set's members, one a line, sorted", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withClient(cmd, func(c *client.Client) error {
					m, err := c.Members(cmd.Context(), args[0])
					return show(cmd, out, err, httpapi.SetMembers{Members: m}, func() {
						for _, s := range m {
							fmt.Fprintln(cmd.OutOrStdout(), s)
						}
					})
				})
			},
		},
	)
	return cmd
}

func mapCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "map", Short: "Set, delete and read map fields"}
	out := addOutput(cmd)
	cmd.AddCommand(
		&cobra.Command{
			Use: "set KEY FIELD VALUE|-", Short: "Set a field of the map (- reads the value from stdin)", Args: cobra.ExactArgs(3),
			RunE: func(cmd *cobra.Command, args []string) error {
				value, err := valueArg(cmd, args[2])
				if err != nil {
					return err
				}
				return withClient(cmd, func(c *client.Client) error { return c.MapSet(cmd.Context(), args[0], args[1], value) })
			},
		},
		&cobra.Command{
			Use: "del KEY FIELD", Short: "Delete a field of the map", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withClient(cmd, func(c *client.Client) error { return c.MapDelete(cmd.Context(), args[0], args[1]) })
			},
		},
		&cobra.Command{
			Use: "get KEY", Short: "Print the map's fields, one \"FIELD<tab>VALUE\" a line", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withClient(cmd, func(c *client.Client) error {
					m, err := c.Map(cmd.Context(), args[0])
					return show(cmd, out, err, httpapi.MapFields{Fields: m}, func() { printFields(cmd, m) })
				})
			},
		},
	)
	return cmd
}

func printFields(cmd *cobra.Command, m map[string][]byte) {
	fields := make([]string, 0, len(m))
	for f := range m {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", f, printable(m[f]))
	}
}
