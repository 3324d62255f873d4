/** What a manager decides at sign-off (the body of POST /releases/{id}/approvals). */
export type Decision = 'approve' | 'reject';
