package cli

import (
	"fmt"
	"path/filepath"

	"github.com/shoal-db/shoal/sync/identity"
	"github.com/spf13/cobra"
)

// ensureIdentity gives an agent started without certificates its own.
var ensureIdentity = identity.EnsureSelfSigned

func certCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Make a cluster CA and node certificates",
		Long: `Make the certificates of a cluster: one CA (cert init), then one certificate per
node signed by it (cert issue). Start each agent with --ca DIR/ca.crt and its own
--cert DIR/NAME.crt --key DIR/NAME.key. Keep ca.key off the nodes.`,
	}
	var dir string
	cmd.PersistentFlags().StringVar(&dir, "dir", ".", "directory of the CA and certificates")
	initCmd := &cobra.Command{
		Use: "init", Short: "Make DIR/ca.crt and DIR/ca.key", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := identity.InitCA(dir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "made %s and %s\n", filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
			return nil
		},
	}
	cmd.AddCommand(initCmd, issueCmd(&dir))
	return cmd
}

func issueCmd(dir *string) *cobra.Command {
	var name string
	var hosts []string
	cmd := &cobra.Command{
		Use: "issue", Short: "Make DIR/NAME.crt and DIR/NAME.key signed by DIR's CA", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := identity.Issue(*dir, name, hosts); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "made %s and %s\n", filepath.Join(*dir, name+".crt"), filepath.Join(*dir, name+".key"))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the node's name (its certificate's common name)")
	cmd.Flags().StringArrayVar(&hosts, "host", nil, "a host name or IP the certificate is valid for (repeatable)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}
