// Package auth holds users, roles, sessions, personal API tokens, password
// hashing and the login rate limit.
package auth

import (
	"slices"
	"strings"
)

// Role is what a user may do. A user holds one or more.
type Role string

const (
	RoleTester  Role = "tester"
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

// AllRoles lists the roles in display order.
var AllRoles = []Role{RoleTester, RoleManager, RoleAdmin}

// EnumValues lists the roles in display order (for the OpenAPI document).
func (Role) EnumValues() []string {
	out := make([]string, len(AllRoles))
	for i, r := range AllRoles {
		out[i] = string(r)
	}
	return out
}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return slices.Contains(AllRoles, r) }

// Actor is the signed-in user a request acts for.
type Actor struct {
	UserID   int64
	Username string
	Roles    []Role
	// ViaToken is set when the request authenticated with an API token.
	ViaToken bool
}

// Has reports whether the actor holds any of roles.
func (a Actor) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// RoleList renders roles for messages: "tester or admin".
func RoleList(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
