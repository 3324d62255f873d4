package ops

// EnumValues lists the statuses of an operation (for the OpenAPI document).
func (Status) EnumValues() []string {
	return []string{string(StatusPending), string(StatusRunning), string(StatusSuccess),
		string(StatusFailure), string(StatusCancelling), string(StatusCancelled)}
}
