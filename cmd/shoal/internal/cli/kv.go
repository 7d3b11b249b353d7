package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/shoal-db/shoal/cmd/shoal/internal/client"
	"github.com/spf13/cobra"
)

func kvCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "kv", Short: "Read and write registers (plain keys and values)"}
	out := addOutput(cmd)
	cmd.AddCommand(
		&cobra.Command{
			Use: "put KEY VALUE|-", Short: "Set KEY to VALUE (- reads the value from stdin)", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				value, err := valueArg(cmd, args[1])
				if err != nil {
					return err
				}
				return withClient(cmd, func(c *client.Client) error { return c.Put(cmd.Context(), args[0], value) })
			},
		},
		&cobra.Command{
			Use: "get KEY", Short: "Print KEY's value, exactly its bytes", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error { return kvGet(cmd, out, args[0]) },
		},
		&cobra.Command{
			Use: "del KEY", Short: "Delete KEY", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withClient(cmd, func(c *client.Client) error { return c.Delete(cmd.Context(), args[0]) })
			},
		},
		lsCmd(out),
		watchCmd(out),
	)
	return cmd
}

// valueArg is the value argument, or stdin for "-".
func valueArg(cmd *cobra.Command, arg string) ([]byte, error) {
	if arg != "-" {
		return []byte(arg), nil
	}
	return io.ReadAll(cmd.InOrStdin())
}

func withClient(cmd *cobra.Command, fn func(*client.Client) error) error {
	c, err := newClient(cmd)
	if err != nil {
		return err
	}
	return fn(c)
}

// kvGet prints the bytes, or with -o json the value's detail. Siblings are
// noted on stderr so that stdout stays exactly the value.
func kvGet(cmd *cobra.Command, out *output, key string) error {
	asJSON, err := out.json()
	if err != nil {
		return err
	}
	return withClient(cmd, func(c *client.Client) error {
		if asJSON {
			d, err := c.Detail(cmd.Context(), key)
			if err != nil {
				return err
			}
			return printJSON(cmd, d)
		}
		v, err := c.Get(cmd.Context(), key)
		if err != nil {
			return err
		}
		if v.Conflicts > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "shoal: %q has %d concurrent value(s); see `shoal kv get -o json`\n", key, v.Conflicts)
		}
		_, err = cmd.OutOrStdout().Write(v.Bytes)
		return err
	})
}

func lsCmd(out *output) *cobra.Command {
	var prefix, typ string
	cmd := &cobra.Command{
		Use: "ls", Short: "List keys with their values, in key order", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			return withClient(cmd, func(c *client.Client) error {
				items, err := listAll(cmd, c, prefix, typ)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd, map[string]any{"items": items})
				}
				for _, it := range items {
					fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", it.Key, renderValue(it.Type, it.Value))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "list only keys with this prefix")
	cmd.Flags().StringVar(&typ, "type", "", "register (default), counter, set, map or all")
	return cmd
}

// listAll follows the pages of a listing to its end.
func listAll(cmd *cobra.Command, c *client.Client, prefix, typ string) ([]client.Item, error) {
	items := []client.Item{}
	start := ""
	for {
		p, err := c.List(cmd.Context(), prefix, start, typ, 1000)
		if err != nil {
			return nil, err
		}
		items = append(items, p.Items...)
		if p.Next == "" {
			return items, nil
		}
		start = p.Next
	}
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	return enc.Encode(v)
}
