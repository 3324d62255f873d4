package release

// The closed sets of values of release records. A type with an EnumValues
// method is an enum in the OpenAPI document, and so in the frontend's types.

// Types lists the kinds of release.
var Types = []Type{TypeMajor, TypeMinor, TypeEmergency}

// EnumValues lists every state, the main path first.
func (State) EnumValues() []string { return names(States) }

// EnumValues lists the kinds of release.
func (Type) EnumValues() []string { return names(Types) }

// EnumValues lists the kinds of scheduling conflict.
func (ConflictKind) EnumValues() []string {
	return names([]ConflictKind{ConflictFreeze, ConflictCIOverlap, ConflictDependency})
}

// EnumValues lists the statuses of a recorded decision.
func (DecisionStatus) EnumValues() []string {
	return names([]DecisionStatus{DecisionValid, DecisionVoid, DecisionSuperseded, DecisionRejection})
}

// EnumValues lists the kinds of evidence.
func (EvidenceKind) EnumValues() []string {
	return names([]EvidenceKind{EvidenceInstall, EvidenceCheck, EvidenceManual})
}

// EnumValues lists the outcomes of a post-implementation review.
func (ReviewOutcome) EnumValues() []string {
	return names([]ReviewOutcome{OutcomeSuccessful, OutcomePartial, OutcomeFailed, OutcomeRolledBack})
}

func names[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
