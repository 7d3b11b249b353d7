// Package scope maps keys to scopes, the unit of partial replication.
//
// A scope is a set of keys that a node holds entirely or not at all, and
// the unit that causality is tracked in: a version vector over a scope
// claims every row of it that its dots wrote, a claim that a node holding
// only part of the scope could not make. A scope is a key prefix ending in
// "/" (or the root scope "", for the keys no rule claims), so the keys of
// one scope are one range of the store.
//
// Every node maps a key to its scope with the same scope rules: an ordered
// list of patterns such as "users/{user}/", "sites/{site}/", "catalog/".
// A key's scope is the first pattern it matches, instantiated
// ("users/alice/cart" is in "users/alice/"); a key that matches none, and
// every key when there are no rules, is in the root scope. The rules
// belong to the cluster, not to a node: two nodes that put one key in
// different scopes would each count the other's rows as missing or
// misfiled. So every Hello is to carry the rules' Hash, and two nodes whose
// rules differ refuse to sync, with an error naming both hashes.
//
// A Subscription is the set of scopes one node holds: concrete scopes,
// whole rules ("users/{user}/" for every user's scope), the root, or
// everything. It is parsed against the rules, so an entry that no rule can
// make a scope is an error when the node starts rather than data that
// silently never arrives.
//
// Parse refuses rules that could not mean what they say (see Parse): a
// pattern that can never match because an earlier one matches first is
// an error, not a dead line in a config. ScopeOf is to run for every key
// a node writes, reads or sends, so it does not allocate and reads the key
// once.
//
// The package is pure: no I/O, no goroutines, no clock. It imports nothing
// else of Shoal's.
package scope
