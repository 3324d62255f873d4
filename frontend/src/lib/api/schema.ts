// Generated from docs/openapi.json by frontend/scripts/api-types.mjs: do not edit.
// Regenerate with `make api` (or `npm run api` after `go run ./scripts/openapi`).

export interface paths {
    "/approval-policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Approvals required per environment and release type (* is the default) */
        get: operations["getApproval_policies"];
        /**
         * Set the approvals required for a release type in an environment
         * @description Needs the admin role.
         */
        put: operations["putApproval_policies"];
        post?: never;
        /**
         * Remove an environment's own policy (the default applies again)
         * @description Needs the admin role.
         */
        delete: operations["deleteApproval_policies"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/approvals/inbox": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Releases awaiting approval, with counts */
        get: operations["getApprovalsInbox"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit trail, newest first; entries about users, tokens, sessions and settings only for admins (others: 403 when they ask for those entities, left out otherwise) */
        get: operations["getAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/audit/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recompute the whole hash chain and report the first broken entry (by id; for every role) */
        get: operations["getAuditVerify"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in (a JSON body, from this site or a script); sets the session cookie and returns the CSRF token. Failed attempts slow down that username from that address */
        post: operations["postAuthLogin"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign out */
        post: operations["postAuthLogout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user and the session's CSRF token */
        get: operations["getAuthMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change your own password (the current one is required); ends your other sessions and revokes your API tokens */
        post: operations["postAuthPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your personal API tokens, with their expiry and last use */
        get: operations["getAuthTokens"];
        put?: never;
        /** Create a personal API token (the secret is shown once); its lifetime is bounded by the settings */
        post: operations["postAuthTokens"];
        /** Revoke all of your tokens */
        delete: operations["deleteAuthTokens"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke one of your tokens */
        delete: operations["deleteAuthTokensId"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/calendar": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Releases and freeze occurrences in a time range */
        get: operations["getCalendar"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the configuration item catalog */
        get: operations["getCis"];
        put?: never;
        /**
         * Add a configuration item
         * @description Needs the tester or admin role.
         */
        post: operations["postCis"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One configuration item */
        get: operations["getCisId"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a configuration item (re-scores the open releases touching it)
         * @description Needs the tester or admin role.
         */
        patch: operations["patchCisId"];
        trace?: never;
    };
    "/cis/{id}/images": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A CI's imported disk images, newest first */
        get: operations["getCisIdImages"];
        put?: never;
        /**
         * P2V: stream a physical machine's disk image (raw, qcow2 or vmdk; Content-Length required) into a libvirt volume; vmdk and qcow2 are converted to a standalone qcow2
         * @description Needs the tester or admin role.
         */
        post: operations["postCisIdImages"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/images/{image}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete an imported disk image (refused while a live lab is built on it)
         * @description Needs the tester or admin role.
         */
        delete: operations["deleteCisIdImagesImage"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/images/ssh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * P2V over SSH: stream a physical machine's disk device with dd into a libvirt volume (an operation); the host key must be pinned (skipping the check: admins only) and the machine in the networks imports may reach
         * @description Needs the tester or admin role.
         */
        post: operations["postCisIdImagesSsh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/images/ssh/fingerprint": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Read the SSH host key a machine presents (without signing in), to check it on the machine and pin it in an import; the same networks as an import
         * @description Needs the tester or admin role.
         */
        post: operations["postCisIdImagesSshFingerprint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/installs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What runs where: the packages rollouts installed on this target and rolled back, newest first */
        get: operations["getCisIdInstalls"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/tags": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Replace a CI's tags (lower-cased; [] removes them all)
         * @description Needs the admin role.
         */
        put: operations["putCisIdTags"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/target": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One CI as a rollout target (no secrets: has_credential, auth_kind and the pinned host key's fingerprint) */
        get: operations["getCisIdTarget"];
        /**
         * Set how a CI is reached: address, port, user, auth_kind and credential (write-only; absent: unchanged), sudo and sudo_password (write-only). A new address or port forgets the pinned host key
         * @description Needs the admin role.
         */
        put: operations["putCisIdTarget"];
        post?: never;
        /**
         * Forget how a CI is reached (address, credential, sudo, pinned host key); its tags stay
         * @description Needs the admin role.
         */
        delete: operations["deleteCisIdTarget"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/target/host-key/fetch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Read the SSH host key the target presents now (without signing in), for an admin to check on the machine before trusting it; says whether it is the pinned one
         * @description Needs the admin role.
         */
        post: operations["postCisIdTargetHost_keyFetch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cis/{id}/target/host-key/trust": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pin the host key whose fingerprint the admin was shown; refused (409) if the target now presents another key
         * @description Needs the admin role.
         */
        post: operations["postCisIdTargetHost_keyTrust"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/duty-policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Separation of duties per environment (* is the default): may a requester approve, may an approver deploy */
        get: operations["getDuty_policies"];
        /**
         * Set an environment's separation-of-duties rules (admins; audited)
         * @description Needs the admin role.
         */
        put: operations["putDuty_policies"];
        post?: never;
        /**
         * Remove an environment's own separation-of-duties rules (the default applies again)
         * @description Needs the admin role.
         */
        delete: operations["deleteDuty_policies"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** WebSocket stream of events (release.*, freeze.changed, ci.changed, operation.updated, host.sample, …); user.changed and settings.changed only to admins; an operation's connection error only to who started it and admins */
        get: operations["getEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/freezes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List freeze windows */
        get: operations["getFreezes"];
        put?: never;
        /**
         * Create a freeze window (one-off or recurring)
         * @description Needs the admin role.
         */
        post: operations["postFreezes"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/freezes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a freeze window
         * @description Needs the admin role.
         */
        delete: operations["deleteFreezesId"];
        options?: never;
        head?: never;
        /**
         * Change a freeze window
         * @description Needs the admin role.
         */
        patch: operations["patchFreezesId"];
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness and database check (no auth) */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/host": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Host CPU, memory, load and data-disk figures */
        get: operations["getHost"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/hosts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Libvirt hosts labs are placed on, with connection status and capacity */
        get: operations["getHosts"];
        put?: never;
        /**
         * Register a libvirt host (local, qemu+tcp, qemu+tls or qemu+ssh URI); it is connected to at once
         * @description Needs the admin role.
         */
        post: operations["postHosts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/hosts/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Unregister a host with no live lab
         * @description Needs the admin role.
         */
        delete: operations["deleteHostsName"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/hosts/{name}/domains": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The libvirt VMs on a host (to link a CI to one) */
        get: operations["getHostsNameDomains"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/kpis": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** KPIs (DORA four, success, on-time, lab pass rate, approvals waiting) with definitions and trends */
        get: operations["getKpis"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/kpis.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The same KPIs as CSV */
        get: operations["getKpis_csv"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/labs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List labs, newest first */
        get: operations["getLabs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/labs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One lab with its VMs and evidence summary */
        get: operations["getLabsId"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/labs/{id}/teardown": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Tear a lab down: VMs, clones, network; production overlays are merged back (an operation)
         * @description Needs the tester or admin role.
         */
        post: operations["postLabsIdTeardown"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/labs/{id}/test-periods": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run another test period on a ready lab (an operation)
         * @description Needs the tester or admin role.
         */
        post: operations["postLabsIdTest_periods"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/labs/{id}/vms/{domain}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One lab VM: whether it runs, its addresses and what its guest agent says (OS, host name, uptime, interfaces); a host or guest that does not answer is reported in error */
        get: operations["getLabsIdVmsDomain"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/labs/{id}/vms/{domain}/console": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** WebSocket to a running lab VM's serial console, through the server: binary frames carry what the guest prints; testers and admins may send text or binary frames that are typed into it, others only read */
        get: operations["getLabsIdVmsDomainConsole"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/labs/reconcile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the last reconciliation of the database with the hosts adopted and removed */
        get: operations["getLabsReconcile"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Deliveries, newest first, with every attempt (time, response code, error): of one webhook with channel=webhook&recipient=<id>. Admins see every delivery; anyone else the mails sent to them (asking for others' is 403). Each change comes live as a delivery.updated event */
        get: operations["getNotificationsDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/deliveries/{id}/resend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a delivery again now (its history kept)
         * @description Needs the admin role.
         */
        post: operations["postNotificationsDeliveriesIdResend"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your own notification preferences: your address, mail per kind, digest */
        get: operations["getNotificationsPreferences"];
        /** Change your own notification preferences */
        put: operations["putNotificationsPreferences"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Mail (SMTP) settings, the public address links point to, and the digest interval (never the password)
         * @description Needs the admin role.
         */
        get: operations["getNotificationsSettings"];
        /**
         * Change the mail settings (admins; the password is sealed, kept when absent, removed when empty; audited)
         * @description Needs the admin role.
         */
        put: operations["putNotificationsSettings"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/test-mail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a test mail now with the stored settings; a failure says what the SMTP server answered (422)
         * @description Needs the admin role.
         */
        post: operations["postNotificationsTest_mail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The registered webhooks (their secrets are never listed)
         * @description Needs the admin role.
         */
        get: operations["getNotificationsWebhooks"];
        put?: never;
        /**
         * Register a webhook: a URL that receives the chosen kinds of notification (none: all) as a signed POST. Header Shakedown-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>; refuse a t far from your clock. The body is a NotificationPayload (format json) or a ChatPayload {"text"} (format chat, for Slack/Mattermost incoming webhooks). Failed deliveries (no answer, or not 2xx) are retried with exponential backoff. The secret is in this answer only
         * @description Needs the admin role.
         */
        post: operations["postNotificationsWebhooks"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change a webhook (renew_secret: a new secret, in this answer only)
         * @description Needs the admin role.
         */
        put: operations["putNotificationsWebhooksId"];
        post?: never;
        /**
         * Remove a webhook (its pending deliveries are dropped, its history kept)
         * @description Needs the admin role.
         */
        delete: operations["deleteNotificationsWebhooksId"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/webhooks/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Queue a test notification to one webhook; answers with the bodies it is sent (json: payload, chat: chat) and the delivery
         * @description Needs the admin role.
         */
        post: operations["postNotificationsWebhooksIdTest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI document (no auth) */
        get: operations["getOpenapi_json"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/operations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List long operations, newest first */
        get: operations["getOperations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/operations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One operation's status and progress */
        get: operations["getOperationsId"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/operations/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a running operation (it undoes its half-done work)
         * @description Only whoever the resource's created_by names, or the admin role.
         */
        post: operations["postOperationsIdCancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/packages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stored packages, newest first (entries omitted) */
        get: operations["getPackages"];
        put?: never;
        /**
         * Upload a release package (.tar.gz or .zip with a shakedown.yaml/.json manifest) as the raw body; stored by sha256 digest, idempotent; with release_id also attached to that release
         * @description Needs the tester or admin role.
         */
        post: operations["postPackages"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/packages/{digest}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One package with its manifest and entries */
        get: operations["getPackagesDigest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/packages/{digest}/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What changed from a base package to this one: files added, removed and changed, with a unified line diff of text files */
        get: operations["getPackagesDigestDiff"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/packages/{digest}/download": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The package archive, its digest checked on the way out (503 when the stored bytes no longer match it) */
        get: operations["getPackagesDigestDownload"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/packages/{digest}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A package's files: text inline (up to 64 KiB each), binaries and longer files as size and sha256, with what the manifest does with each */
        get: operations["getPackagesDigestFiles"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/packages/assemble": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Build a package from a manifest and files (a deterministic .tar.gz: the same input gives the same digest)
         * @description Needs the tester or admin role.
         */
        post: operations["postPackagesAssemble"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List releases with filters, sorting and pagination */
        get: operations["getReleases"];
        put?: never;
        /**
         * Create a release (state planned)
         * @description Needs the tester or admin role.
         */
        post: operations["postReleases"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One release with scope, risk, conflicts, timeline and the transitions you may take */
        get: operations["getReleasesId"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a release (planned, building or rejected only); changes, ci_ids and depends_on replace the whole set
         * @description Needs the tester or admin role.
         */
        patch: operations["patchReleasesId"];
        trace?: never;
    };
    "/releases/{id}/approvals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve or reject (managers; a rejection needs a reason and returns the release to testing)
         * @description Needs the manager role.
         */
        post: operations["postReleasesIdApprovals"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit entries of one release, newest first */
        get: operations["getReleasesIdAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the release's package holds and changes: its files, and its diff against the release's previous package and against the packages running on its targets now */
        get: operations["getReleasesIdChanges"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/evidence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Test evidence of a release, newest first */
        get: operations["getReleasesIdEvidence"];
        put?: never;
        /**
         * Attach a test run done outside a lab (one evidence record per check)
         * @description Needs the tester or admin role.
         */
        post: operations["postReleasesIdEvidence"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/evidence/grid": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The release's evidence per package (the current one first) as checks × VMs with rounds folded, its testing summary and the labs it came from */
        get: operations["getReleasesIdEvidenceGrid"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/labs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Build a lab for a release: capture, clone, isolate, boot, apply the package, run the test period (an operation)
         * @description Needs the tester or admin role.
         */
        post: operations["postReleasesIdLabs"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/notes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Release notes (generated Markdown until edited) with their HTML */
        get: operations["getReleasesIdNotes"];
        /**
         * Edit the release notes before they are published
         * @description Needs the tester, manager or admin role.
         */
        put: operations["putReleasesIdNotes"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/notes/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish the release notes (they no longer change)
         * @description Needs the manager or admin role.
         */
        post: operations["postReleasesIdNotesPublish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/package": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Make a stored package the release's package (voids an approval for another digest)
         * @description Needs the tester or admin role.
         */
        put: operations["putReleasesIdPackage"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/packages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The packages a release has had, newest (current) first */
        get: operations["getReleasesIdPackages"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The release report: a printable HTML page */
        get: operations["getReleasesIdReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/review": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Post-implementation review of a deployed, failed or rolled-back release (moves it to reviewed)
         * @description Needs the manager or admin role.
         */
        put: operations["putReleasesIdReview"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/rollouts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A release's rollouts, newest first */
        get: operations["getReleasesIdRollouts"];
        put?: never;
        /**
         * Start a rollout of the release's approved package to its targets (admins; the exact approved digest; one rollout per target)
         * @description Needs the admin role.
         */
        post: operations["postReleasesIdRollouts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/rollouts/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Which targets a plan puts in which wave, and its failure policy in a sentence */
        post: operations["postReleasesIdRolloutsPreview"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/signoff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Approval status: policy, digest and evidence bound, decisions with void reasons, whether you may decide */
        get: operations["getReleasesIdSignoff"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/releases/{id}/transitions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Move a release to another lifecycle state (roles depend on the target state)
         * @description The role needed depends on to (approved: manager; awaiting-approval: tester; building: tester; cancelled: manager or admin; closed: manager or admin; deployed: admin; deploying: admin; failed: admin; planned: tester; rejected: manager; reviewed: manager or admin; rolled-back: admin; testing: tester).
         */
        post: operations["postReleasesIdTransitions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/rollouts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A rollout with its waves and targets */
        get: operations["getRolloutsId"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/rollouts/{id}/actions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Decide on a rollout: pause, claim, continue, retry, exclude a target, roll back or abort (admins; a paused rollout is decided by whoever claimed it)
         * @description Needs the admin role.
         */
        post: operations["postRolloutsIdActions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/rollouts/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A rollout's log, oldest first, after a line id; of one target with ci_id */
        get: operations["getRolloutsIdLogs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/rollouts/{id}/targets/{ci}/step": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark a manual target's install or rollback done or failed, with a note (the person who did it)
         * @description Needs the tester or admin role.
         */
        post: operations["postRolloutsIdTargetsCiStep"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Run-time settings: token lifetimes, networks disk imports may reach, trusted proxies */
        get: operations["getSettings"];
        /**
         * Change the run-time settings (admins; audited with before and after)
         * @description Needs the admin role.
         */
        put: operations["putSettings"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/targets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every CI as a rollout target (vm, ssh or manual) with its tags, by name; secrets are never answered, only whether there is one */
        get: operations["getTargets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/targets/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import targets from CSV (Content-Type text/csv; header row name,address,port,user,tags,environment,criticality[,password]; tags separated by ;) or the same rows as JSON: missing CIs are created (kind host), every row's target and tags set. Every row is checked first: one bad row answers 422 with every row's errors (error.rows) and writes nothing. dry_run=true checks and answers the plan without writing
         * @description Needs the admin role.
         */
        post: operations["postTargetsImport"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List users
         * @description Needs the admin role.
         */
        get: operations["getUsers"];
        put?: never;
        /**
         * Create a user
         * @description Needs the admin role.
         */
        post: operations["postUsers"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One user
         * @description Needs the admin role.
         */
        get: operations["getUsersId"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a user's name, roles, password or disabled flag (a new password or disabling ends their sessions and revokes their API tokens)
         * @description Needs the admin role.
         */
        patch: operations["patchUsersId"];
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ApprovalPolicy: {
            environment: string;
            required: number;
            type: components["schemas"]["ReleaseType"];
        };
        /** @enum {string} */
        ApproverDeploy: "yes" | "no" | "emergency";
        AssembleFile: {
            content: string;
            encoding?: string;
            mode?: string;
            path: string;
        };
        AssembleInput: {
            files?: components["schemas"]["AssembleFile"][];
            manifest: components["schemas"]["Manifest"];
            /** Format: int64 */
            release_id?: number;
        };
        AttachedList: {
            items: components["schemas"]["AttachedPackage"][];
        };
        AttachedPackage: {
            attached_at: string;
            attached_by: string;
            current: boolean;
            package: components["schemas"]["PackageRef"];
        };
        AttachRequest: {
            digest: string;
        };
        AuditEntry: {
            action: string;
            actor: string;
            /** @description any JSON value */
            after: unknown;
            /** Format: date-time */
            at: string;
            /** @description any JSON value */
            before: unknown;
            entity: string;
            entity_id: string;
            hash: string;
            /** Format: int64 */
            id: number;
            prev_hash: string;
        };
        AuditEntryPage: {
            items: components["schemas"]["AuditEntry"][];
            limit: number;
            offset: number;
            total: number;
        };
        AuditVerification: {
            entries: number;
            /** Format: int64 */
            first_bad_id: number;
            message: string;
            ok: boolean;
        };
        BaseMemory: {
            /** Format: int64 */
            bytes: number;
            /** Format: date-time */
            captured_at: string;
            pause_bound: boolean;
            pause_ms: number;
        };
        Calendar: {
            freezes: components["schemas"]["Occurrence"][];
            releases: components["schemas"]["ReleaseSummary"][];
        };
        Change: {
            /** Format: date-time */
            committed_at?: string;
            /** Format: int64 */
            id: number;
            link: string;
            rfc: string;
            risk: string;
            title: string;
        };
        ChangeBase: {
            diff: components["schemas"]["PackageDiff"] | null;
            kind: components["schemas"]["ChangeBaseKind"];
            label: string;
            note?: string;
            package: components["schemas"]["PackageIdentity"];
            same: boolean;
            targets: string[];
        };
        /** @enum {string} */
        ChangeBaseKind: "previous" | "running";
        ChangeInput: {
            committed_at?: string;
            link?: string;
            rfc: string;
            risk: string;
            title: string;
        };
        ChatPayload: {
            text: string;
        };
        /** @enum {string} */
        CheckOutcome: "passed" | "failed" | "unknown";
        CI: {
            /** Format: date-time */
            created_at: string;
            criticality: string;
            criticality_change?: components["schemas"]["CriticalityChange"] | null;
            description: string;
            environment: string;
            /** Format: int64 */
            id: number;
            kind: string;
            libvirt_domain: string;
            libvirt_host: string;
            name: string;
            /** Format: date-time */
            updated_at: string;
        };
        CIInput: {
            criticality?: string | null;
            description?: string | null;
            environment?: string | null;
            kind?: string | null;
            libvirt_domain?: string | null;
            libvirt_host?: string | null;
            name?: string | null;
        };
        CIPage: {
            items: components["schemas"]["CI"][];
            limit: number;
            offset: number;
            total: number;
        };
        CommandCheck: {
            command: string;
            name: string;
        };
        Conflict: {
            /** Format: int64 */
            freeze_id?: number;
            kind: components["schemas"]["ConflictKind"];
            message: string;
            /** Format: int64 */
            release_id?: number;
        };
        /** @enum {string} */
        ConflictKind: "freeze" | "ci_overlap" | "dependency";
        CriticalityChange: {
            /** Format: date-time */
            at: string;
            by: string;
            from: string;
        };
        DecisionInput: {
            decision: string;
            reason?: string;
        };
        /** @enum {string} */
        DecisionStatus: "valid" | "void" | "superseded" | "rejection";
        Delivery: {
            attempts: number;
            channel: string;
            /** Format: date-time */
            created_at: string;
            event: components["schemas"]["NotificationKind"];
            history: components["schemas"]["DeliveryAttempt"][];
            /** Format: int64 */
            id: number;
            last_error: string;
            /** Format: date-time */
            next_at: string;
            /** Format: int64 */
            notification_id: number;
            recipient: string;
            response_code: number;
            /** Format: date-time */
            sent_at: string | null;
            state: components["schemas"]["DeliveryState"];
            title: string;
        };
        DeliveryAttempt: {
            /** Format: date-time */
            at: string;
            /** Format: int64 */
            duration_ms: number;
            error: string;
            ok: boolean;
            response_code: number;
        };
        DeliveryList: {
            items: components["schemas"]["Delivery"][];
        };
        /** @enum {string} */
        DeliveryState: "pending" | "sent" | "failed";
        DiffHunk: {
            lines: components["schemas"]["DiffLine"][];
            new_lines: number;
            new_start: number;
            old_lines: number;
            old_start: number;
        };
        DiffLine: {
            op: components["schemas"]["DiffOp"];
            text: string;
        };
        /** @enum {string} */
        DiffOp: "=" | "-" | "+";
        DiskImage: {
            /** Format: int64 */
            bytes: number;
            /** Format: int64 */
            capacity: number;
            /** Format: int64 */
            ci_id: number;
            /** Format: date-time */
            created_at: string;
            created_by: string;
            format: string;
            host: string;
            /** Format: int64 */
            id: number;
            origin: string;
            path: string;
            sha256: string;
            source_format: string;
            volume: string;
        };
        DiskImagePage: {
            items: components["schemas"]["DiskImage"][];
            limit: number;
            offset: number;
            total: number;
        };
        DutyPolicy: {
            approver_may_deploy: components["schemas"]["ApproverDeploy"];
            environment: string;
            requester_may_approve: boolean;
        };
        DutyPolicyList: {
            items: components["schemas"]["DutyPolicy"][];
        };
        ErrorBody: {
            error: components["schemas"]["ErrorDetail"];
        };
        /** @enum {string} */
        ErrorCode: "invalid" | "not_found" | "conflict" | "forbidden" | "unauthorized" | "rate_limited" | "too_large" | "unavailable" | "internal";
        ErrorDetail: {
            code: components["schemas"]["ErrorCode"];
            field?: string;
            message: string;
            rows?: components["schemas"]["RowError"][];
        };
        Evidence: {
            added_by: string;
            /** Format: date-time */
            at: string;
            exit_code: number;
            /** Format: int64 */
            id: number;
            kind: components["schemas"]["EvidenceKind"];
            lab_id: string;
            name: string;
            package_digest: string;
            passed: boolean;
            /** Format: int64 */
            release_id: number;
            round: number;
            stderr: string;
            stdout: string;
            /** Format: int64 */
            took_ms: number;
            vm: string;
        };
        EvidenceCount: {
            count: number;
            failed: number;
            passed: number;
        };
        EvidenceGridCell: {
            failed: number;
            failures: components["schemas"]["Evidence"][];
            /** Format: date-time */
            first_at: string;
            /** Format: date-time */
            last_at: string;
            last_passed: boolean;
            passed: number;
            runs: number;
            vm: string;
        };
        EvidenceGridRow: {
            cells: components["schemas"]["EvidenceGridCell"][];
            failed: number;
            /** Format: date-time */
            first_at: string;
            kind: components["schemas"]["EvidenceKind"];
            /** Format: date-time */
            last_at: string;
            name: string;
            passed: number;
            rounds: number;
            runs: number;
        };
        EvidenceInput: {
            checks: components["schemas"]["ManualCheck"][];
            name: string;
            target: string;
        };
        /** @enum {string} */
        EvidenceKind: "install" | "check" | "manual";
        EvidenceLab: {
            created_by: string;
            gone: boolean;
            host: string;
            id: string;
        };
        EvidenceList: {
            items: components["schemas"]["Evidence"][];
        };
        EvidencePage: {
            items: components["schemas"]["Evidence"][];
            limit: number;
            offset: number;
            total: number;
        };
        FailurePolicy: {
            on_breach: components["schemas"]["OnBreach"];
            per_wave: components["schemas"]["RolloutSize"];
            total: components["schemas"]["RolloutSize"];
            trip: components["schemas"]["Trip"];
        };
        FollowUp: {
            action: string;
            due: string;
            owner: string;
        };
        FreezeInput: {
            end?: string | null;
            environment?: string | null;
            name?: string | null;
            reason?: string | null;
            recurrence?: string | null;
            start?: string | null;
        };
        FreezeWindow: {
            /** Format: date-time */
            created_at: string;
            created_by: string;
            /** Format: date-time */
            end: string;
            environment: string;
            /** Format: int64 */
            id: number;
            name: string;
            reason: string;
            recurrence: string;
            /** Format: date-time */
            start: string;
            /** Format: date-time */
            updated_at: string;
        };
        FreezeWindowPage: {
            items: components["schemas"]["FreezeWindow"][];
            limit: number;
            offset: number;
            total: number;
        };
        GuestInfo: {
            errors: string[];
            hostname: string;
            interfaces: components["schemas"]["GuestInterface"][];
            kernel: string;
            os: string;
            uptime_seconds: number;
        };
        GuestInterface: {
            addresses: string[];
            mac: string;
            name: string;
        };
        Health: {
            database: string;
            status: string;
            version: string;
        };
        HealthCheck: {
            command: string;
            interval_seconds: number;
            name: string;
            timeout_seconds: number;
        };
        HostCapacity: {
            cpus: number;
            /** Format: int64 */
            disk_free: number;
            /** Format: int64 */
            mem_free: number;
            /** Format: int64 */
            mem_total: number;
            running_vms: number;
        };
        HostStatus: {
            cpu_count: number;
            cpu_percent: number;
            /** Format: int64 */
            disk_free: number;
            disk_path: string;
            /** Format: int64 */
            disk_total: number;
            load1: number;
            /** Format: int64 */
            mem_available: number;
            /** Format: int64 */
            mem_total: number;
            /** Format: int64 */
            mem_used: number;
            /** Format: date-time */
            sampled_at: string;
        };
        HTTPCheck: {
            body_contains?: string;
            name: string;
            status?: number;
            url: string;
        };
        /** @enum {string} */
        ImageImportStage: "connect" | "stream" | "done";
        Inbox: {
            counts: {
                needs_me: number;
                void: number;
                waiting: number;
            };
            items: components["schemas"]["InboxItem"][];
        };
        InboxItem: {
            age_hours: number;
            can_decide: boolean;
            cannot_decide_reason: string;
            evidence: components["schemas"]["EvidenceCount"];
            evidence_earlier: number;
            my_decision: string;
            package_digest: string;
            release: components["schemas"]["ReleaseSummary"];
            request_note: string;
            requested_by: string;
            required: number;
            valid: number;
            void: number;
            waiting_since: string;
        };
        Incident: {
            detected_at: string;
            restored_at: string;
            title: string;
        };
        KPIFigure: {
            definition: string;
            denominator: number;
            detail: string;
            display: string;
            key: string;
            label: string;
            n: number;
            numerator: number;
            ratio: string;
            unit: string;
            value: number | null;
        };
        KPIReport: {
            bucket: string;
            environment: string;
            environments: string[];
            figures: components["schemas"]["KPIFigure"][];
            from: string;
            to: string;
            trend: components["schemas"]["KPITrend"];
            waiting: components["schemas"]["KPIWaiting"][];
        };
        KPISeries: {
            key: string;
            label: string;
            unit: string;
            values: (number | null)[];
        };
        KPITrend: {
            buckets: string[];
            series: components["schemas"]["KPISeries"][];
        };
        KPIWaiting: {
            age_hours: number;
            name: string;
            /** Format: int64 */
            release_id: number;
            since: string;
            version: string;
        };
        Lab: {
            /** Format: date-time */
            created_at: string;
            created_by: string;
            error: string;
            /** Format: date-time */
            expires_at: string;
            host: string;
            id: string;
            network: string;
            operation_id: string;
            /** Format: int64 */
            release_id: number;
            spec: components["schemas"]["LabInput"];
            status: components["schemas"]["LabStatus"];
            summary: components["schemas"]["LabSummary"];
            /** Format: date-time */
            updated_at: string;
            vms: components["schemas"]["LabVM"][];
        };
        LabBase: {
            format: string;
            /** Format: int64 */
            id: number;
            kind: components["schemas"]["LabBaseKind"];
            live: boolean;
            memory?: components["schemas"]["BaseMemory"] | null;
            origin: string;
            path: string;
            quiesced: boolean;
            state: components["schemas"]["LabBaseState"];
        };
        /** @enum {string} */
        LabBaseKind: "snapshot" | "import";
        /** @enum {string} */
        LabBaseState: "in-use" | "released" | "merged";
        LabCheck: {
            command: string;
            name: string;
        };
        /** @enum {string} */
        LabCreateStage: "capture" | "network" | "clone" | "boot" | "apply" | "test-period";
        LabInput: {
            boot_fresh?: boolean;
            ci_ids?: number[];
            host?: string;
            no_package?: boolean;
            package?: components["schemas"]["LabPackageInput"] | null;
            package_digest?: string;
            test_period?: components["schemas"]["PeriodInput"] | null;
            ttl_minutes?: number;
        };
        LabPackageFile: {
            content: string;
            mode?: string;
            path: string;
        };
        LabPackageInput: {
            checks?: components["schemas"]["LabCheck"][];
            digest?: string;
            files?: components["schemas"]["LabPackageFile"][];
            install: string;
            name: string;
            rollback?: string;
            verify?: string;
        };
        LabPage: {
            items: components["schemas"]["Lab"][];
            limit: number;
            offset: number;
            total: number;
        };
        /** @enum {string} */
        LabPeriodStage: "test-period";
        LabStarted: {
            lab: components["schemas"]["Lab"];
            operation: components["schemas"]["Operation"];
        };
        /** @enum {string} */
        LabStatus: "creating" | "ready" | "testing" | "passed" | "failed" | "tearing-down" | "torn-down" | "error";
        LabSummary: {
            checks_failed: number;
            checks_passed: number;
            installs_failed: number;
            installs_passed: number;
            rounds: number;
        };
        /** @enum {string} */
        LabTeardownStage: "cancel" | "remove-vms" | "network" | "bases" | "done";
        LabVM: {
            base: components["schemas"]["LabBase"] | null;
            /** Format: int64 */
            ci_id: number;
            ci_name: string;
            /** Format: int64 */
            clock_skew_ms: number;
            domain: string;
            /** Format: int64 */
            ready_ms: number;
            start?: components["schemas"]["VMStart"];
            start_note: string;
            state: components["schemas"]["LabVMState"];
            volume: string;
        };
        /** @enum {string} */
        LabVMState: "pending" | "captured" | "defined" | "booting" | "running" | "removed";
        LibvirtDomain: {
            active: boolean;
            meta: components["schemas"]["LibvirtDomainMeta"];
            name: string;
            ours: boolean;
        };
        LibvirtDomainMeta: {
            ci: string;
            lab_id: string;
            role: string;
        };
        LibvirtDomainPage: {
            items: components["schemas"]["LibvirtDomain"][];
            limit: number;
            offset: number;
            total: number;
        };
        LibvirtHost: {
            capacity: components["schemas"]["HostCapacity"];
            connected: boolean;
            console_dir?: string;
            error: string;
            name: string;
            pool?: string;
            pool_dir?: string;
            running: string[];
            uri: string;
        };
        LibvirtHostInput: {
            console_dir?: string;
            name: string;
            pool?: string;
            pool_dir?: string;
            uri: string;
        };
        LibvirtHostPage: {
            items: components["schemas"]["LibvirtHost"][];
            limit: number;
            offset: number;
            total: number;
        };
        LoginRequest: {
            password: string;
            username: string;
        };
        Manifest: {
            description: string;
            files: components["schemas"]["ManifestFile"][];
            health_checks: components["schemas"]["HealthCheck"][];
            install: string;
            name: string;
            rollback: string;
            verify: string;
            version: string;
        };
        ManifestFile: {
            dest: string;
            mode: string;
            src: string;
        };
        ManualCheck: {
            name: string;
            output?: string;
            passed: boolean;
        };
        Me: {
            csrf_token: string;
            user: components["schemas"]["User"];
        };
        Notes: {
            generated: boolean;
            html: string;
            markdown: string;
            published: boolean;
            published_at: string;
            published_by: string;
            updated_at: string;
            updated_by: string;
        };
        NotesInput: {
            markdown: string;
        };
        /** @enum {string} */
        NotificationKind: "release.awaiting-approval" | "release.approval-voided" | "release.deployed" | "release.failed" | "lab.passed" | "lab.failed" | "rollout.paused" | "test";
        NotificationKindInfo: {
            kind: components["schemas"]["NotificationKind"];
            label: string;
        };
        NotificationPayload: {
            /** Format: date-time */
            at: string;
            entity: string;
            entity_id: string;
            event: components["schemas"]["NotificationKind"];
            /** Format: int64 */
            id: number;
            link: string;
            text: string;
            title: string;
        };
        NotificationPrefs: {
            digest: boolean;
            email: string;
            events: {
                [key: string]: boolean;
            } | null;
        };
        NotificationPrefsView: {
            digest: boolean;
            digest_minutes: number;
            email: string;
            events: {
                [key: string]: boolean;
            } | null;
            kinds: components["schemas"]["NotificationKindInfo"][];
        };
        NotificationSettings: {
            base_url: string;
            digest_minutes: number;
            from: string;
            password_set: boolean;
            security: components["schemas"]["SMTPSecurity"];
            smtp_host: string;
            smtp_port: number;
            username: string;
        };
        NotificationSettingsInput: {
            base_url: string;
            digest_minutes: number;
            from: string;
            password?: string | null;
            security: components["schemas"]["SMTPSecurity"];
            smtp_host: string;
            smtp_port: number;
            username: string;
        };
        Occurrence: {
            /** Format: date-time */
            end: string;
            environment: string;
            /** Format: int64 */
            freeze_id: number;
            name: string;
            reason: string;
            /** Format: date-time */
            start: string;
        };
        /** @enum {string} */
        OnBreach: "rollback" | "pause";
        Operation: {
            /** Format: date-time */
            created_at: string;
            created_by: string;
            entity: string;
            entity_id: string;
            error: string;
            id: string;
            kind: string;
            message: string;
            percent: number;
            stage: string;
            status: components["schemas"]["OperationStatus"];
            /** Format: date-time */
            updated_at: string;
        };
        OperationPage: {
            items: components["schemas"]["Operation"][];
            limit: number;
            offset: number;
            total: number;
        };
        /** @description Per operation kind, the stages its operation.stage goes through, in order. */
        OperationStages: {
            "ci.import": components["schemas"]["ImageImportStage"][];
            "lab.create": components["schemas"]["LabCreateStage"][];
            "lab.teardown": components["schemas"]["LabTeardownStage"][];
            "lab.test-period": components["schemas"]["LabPeriodStage"][];
        };
        /** @enum {string} */
        OperationStatus: "pending" | "running" | "success" | "failure" | "cancelling" | "cancelled";
        Package: {
            created_at: string;
            created_by: string;
            description: string;
            digest: string;
            entries: components["schemas"]["PackageEntry"][];
            existed?: boolean;
            filename: string;
            format: string;
            manifest: components["schemas"]["Manifest"];
            name: string;
            /** Format: int64 */
            size: number;
            version: string;
        };
        PackageDiff: {
            added: number;
            base: components["schemas"]["PackageIdentity"];
            changed: number;
            files: components["schemas"]["PackageFileChange"][];
            head: components["schemas"]["PackageIdentity"];
            removed: number;
            unchanged: number;
        };
        PackageEntry: {
            link?: string;
            mode: string;
            path: string;
            sha256?: string;
            /** Format: int64 */
            size: number;
            type: string;
        };
        PackageEvidence: {
            count: number;
            current: boolean;
            digest: string;
            failed: number;
            /** Format: date-time */
            first_at: string | null;
            labs: string[];
            /** Format: date-time */
            last_at: string | null;
            name: string;
            passed: number;
            rounds: number;
            rows: components["schemas"]["EvidenceGridRow"][];
            /** Format: int64 */
            seconds: number;
            testers: string[];
            version: string;
            vms: string[];
        };
        PackageFile: {
            elided?: boolean;
            kind: components["schemas"]["PackageFileKind"];
            link?: string;
            mode: string;
            path: string;
            roles: string[];
            sha256?: string;
            /** Format: int64 */
            size: number;
            text?: string;
        };
        PackageFileChange: {
            change: components["schemas"]["PackageFileChangeKind"];
            hunks: components["schemas"]["DiffHunk"][];
            kind: components["schemas"]["PackageFileKind"];
            new_sha256?: string;
            /** Format: int64 */
            new_size: number;
            note?: string;
            old_sha256?: string;
            /** Format: int64 */
            old_size: number;
            path: string;
            roles: string[];
        };
        /** @enum {string} */
        PackageFileChangeKind: "added" | "removed" | "changed";
        /** @enum {string} */
        PackageFileKind: "text" | "large" | "binary" | "symlink" | "directory";
        PackageFiles: {
            digest: string;
            files: components["schemas"]["PackageFile"][];
            name: string;
            version: string;
        };
        PackageIdentity: {
            digest: string;
            name: string;
            version: string;
        };
        PackagePage: {
            items: components["schemas"]["Package"][];
            limit: number;
            offset: number;
            total: number;
        };
        PackageRef: {
            created_at: string;
            created_by: string;
            digest: string;
            format: string;
            name: string;
            /** Format: int64 */
            size: number;
            version: string;
        };
        PasswordChange: {
            sessions_ended: number;
            tokens_revoked: number;
        };
        PasswordRequest: {
            current_password: string;
            new_password: string;
        };
        PeriodInput: {
            checks?: components["schemas"]["LabCheck"][];
            continue_on_failure?: boolean;
            duration_seconds: number;
            interval_seconds: number;
        };
        PolicyList: {
            items: components["schemas"]["ApprovalPolicy"][];
        };
        ReconcileHostReport: {
            adopted: string[];
            errors: string[];
            host: string;
            removed: string[];
        };
        ReconcileReport: {
            /** Format: date-time */
            at: string;
            hosts: components["schemas"]["ReconcileHostReport"][];
            records: string[];
        };
        Release: {
            allowed_transitions: components["schemas"]["ReleaseState"][];
            approved_digest: string;
            change_count: number;
            changes: components["schemas"]["Change"][];
            ci_count: number;
            cis: components["schemas"]["CI"][];
            conflicts: components["schemas"]["Conflict"][];
            /** Format: date-time */
            created_at: string;
            created_by: string;
            depends_on: components["schemas"]["ReleaseRef"][];
            description: string;
            environment: string;
            expedited: boolean;
            /** Format: int64 */
            id: number;
            name: string;
            owner: string;
            package: components["schemas"]["PackageRef"] | null;
            /** Format: date-time */
            planned_end: string;
            /** Format: date-time */
            planned_start: string;
            read_only: boolean;
            required_by: components["schemas"]["ReleaseRef"][];
            review: components["schemas"]["Review"] | null;
            risk: components["schemas"]["RiskSummary"];
            state: components["schemas"]["ReleaseState"];
            transitions: components["schemas"]["Transition"][];
            type: components["schemas"]["ReleaseType"];
            /** Format: date-time */
            updated_at: string;
            version: string;
        };
        ReleaseChanges: {
            bases: components["schemas"]["ChangeBase"][];
            not_running: string[];
            package: components["schemas"]["PackageFiles"] | null;
        };
        ReleaseInput: {
            changes?: components["schemas"]["ChangeInput"][] | null;
            ci_ids?: number[] | null;
            depends_on?: number[] | null;
            description?: string | null;
            environment?: string | null;
            name?: string | null;
            owner?: string | null;
            planned_end?: string | null;
            planned_start?: string | null;
            type?: components["schemas"]["ReleaseType"] | null;
            version?: string | null;
        };
        ReleaseRef: {
            /** Format: int64 */
            id: number;
            name: string;
            /** Format: date-time */
            planned_end: string;
            /** Format: date-time */
            planned_start: string;
            state: components["schemas"]["ReleaseState"];
            version: string;
        };
        /** @enum {string} */
        ReleaseState: "planned" | "building" | "testing" | "awaiting-approval" | "approved" | "deploying" | "deployed" | "reviewed" | "closed" | "rejected" | "failed" | "rolled-back" | "cancelled";
        ReleaseSummary: {
            change_count: number;
            ci_count: number;
            conflicts: components["schemas"]["Conflict"][];
            environment: string;
            expedited: boolean;
            /** Format: int64 */
            id: number;
            name: string;
            owner: string;
            /** Format: date-time */
            planned_end: string;
            /** Format: date-time */
            planned_start: string;
            risk: components["schemas"]["RiskSummary"];
            state: components["schemas"]["ReleaseState"];
            type: components["schemas"]["ReleaseType"];
            /** Format: date-time */
            updated_at: string;
            version: string;
        };
        ReleaseSummaryPage: {
            items: components["schemas"]["ReleaseSummary"][];
            limit: number;
            offset: number;
            total: number;
        };
        ReleaseTesting: {
            labs: components["schemas"]["EvidenceLab"][];
            packages: components["schemas"]["PackageEvidence"][];
            total: number;
        };
        /** @enum {string} */
        ReleaseType: "major" | "minor" | "emergency";
        Review: {
            deviations: string;
            follow_ups: components["schemas"]["FollowUp"][];
            incidents: components["schemas"]["Incident"][];
            lessons: string;
            outcome: components["schemas"]["ReviewOutcome"];
            reviewed_at: string;
            reviewer: string;
        };
        ReviewInput: {
            deviations: string;
            follow_ups: components["schemas"]["FollowUp"][];
            incidents: components["schemas"]["Incident"][];
            lessons: string;
            outcome: components["schemas"]["ReviewOutcome"];
        };
        /** @enum {string} */
        ReviewOutcome: "successful" | "partially-successful" | "failed" | "rolled-back";
        RiskReason: {
            detail: string;
            factor: string;
            points: number;
        };
        RiskSummary: {
            level: string;
            reasons?: components["schemas"]["RiskReason"][];
            score: number;
        };
        /** @enum {string} */
        Role: "tester" | "manager" | "admin";
        Rollout: {
            claimed_by: string;
            counts: {
                [key: string]: number;
            } | null;
            /** Format: date-time */
            created_at: string;
            created_by: string;
            /** Format: date-time */
            deadline: string | null;
            digest: string;
            error: string;
            /** Format: date-time */
            finished_at: string | null;
            id: string;
            pause_reason: string;
            /** Format: date-time */
            paused_at: string | null;
            phase: string;
            plan: components["schemas"]["RolloutPlan"];
            /** Format: int64 */
            release_id: number;
            status: components["schemas"]["RolloutStatus"];
            targets: components["schemas"]["RolloutTargetRun"][];
            /** Format: date-time */
            updated_at: string;
            wave: number;
            wave_sizes: number[];
        };
        RolloutAction: {
            action: string;
            /** Format: int64 */
            ci_id?: number;
            reason?: string;
        };
        RolloutCheckResult: {
            check: string;
            outcome: components["schemas"]["CheckOutcome"];
            output: string;
        };
        RolloutGate: {
            commands?: components["schemas"]["CommandCheck"][];
            failure_limit: number;
            http?: components["schemas"]["HTTPCheck"][];
            interval_seconds: number;
            rounds: number;
            soak_seconds?: number;
        };
        RolloutList: {
            items: (components["schemas"]["Rollout"] | null)[];
        };
        RolloutLog: {
            /** Format: date-time */
            at: string;
            /** Format: int64 */
            ci_id: number;
            /** Format: int64 */
            id: number;
            message: string;
        };
        RolloutLogs: {
            items: components["schemas"]["RolloutLog"][];
        };
        RolloutPlan: {
            approve_each_wave?: boolean;
            failure_policy: components["schemas"]["FailurePolicy"];
            gate: components["schemas"]["RolloutGate"];
            max_parallel: number;
            strategy: components["schemas"]["Strategy"];
            wave_deadline_minutes: number;
            waves?: components["schemas"]["RolloutSize"][];
        };
        /** @description A count, or a percentage of the targets like "20%" */
        RolloutSize: number | string;
        RolloutStart: {
            ci_ids?: number[];
            digest: string;
            override_freeze?: boolean;
            plan: components["schemas"]["RolloutPlan"];
            reason?: string;
        };
        /** @enum {string} */
        RolloutStatus: "running" | "paused" | "rolling-back" | "succeeded" | "failed" | "rolled-back" | "aborted";
        RolloutTarget: {
            address?: string;
            /** Format: int64 */
            ci_id: number;
            domain?: string;
            host?: string;
            kind: components["schemas"]["RolloutTargetKind"];
            name: string;
        };
        /** @enum {string} */
        RolloutTargetKind: "vm" | "ssh" | "manual";
        RolloutTargetRun: {
            address?: string;
            checks: components["schemas"]["RolloutCheckResult"][];
            /** Format: int64 */
            ci_id: number;
            /** Format: int64 */
            command_ms: number;
            domain?: string;
            error: string;
            failed_rounds: number;
            host?: string;
            kind: components["schemas"]["RolloutTargetKind"];
            name: string;
            /** Format: int64 */
            paused_ms: number;
            position: number;
            snapshot: string;
            state: components["schemas"]["RolloutTargetState"];
            unknown_rounds: number;
            wave: number;
        };
        /** @enum {string} */
        RolloutTargetState: "pending" | "preparing" | "installing" | "installed" | "healthy" | "failed" | "excluded" | "rolling-back" | "rolled-back";
        RowError: {
            field: string;
            line?: number;
            message: string;
            row: number;
        };
        Settings: {
            allow_non_expiring_tokens: boolean;
            import_networks: string[];
            token_max_days: number;
            trusted_proxies: string[];
        };
        SignOff: {
            against_evidence: boolean;
            approved_digest: string;
            builders: string[];
            can_decide: boolean;
            can_reject: boolean;
            cannot_decide_reason: string;
            decisions: components["schemas"]["SignOffDecision"][];
            duties: components["schemas"]["DutyPolicy"];
            evidence_count: number;
            evidence_digest: string;
            evidence_failed: number;
            evidence_passed: number;
            justification_reason: string;
            needs_justification: boolean;
            package_digest: string;
            package_evidence: components["schemas"]["EvidenceCount"];
            policy: components["schemas"]["ApprovalPolicy"];
            requesters: string[];
            required: number;
            round: number;
            state: components["schemas"]["ReleaseState"];
            testers: string[];
            valid: number;
        };
        SignOffDecision: {
            actor: string;
            against_evidence: boolean;
            at: string;
            decision: string;
            evidence_count: number;
            evidence_digest: string;
            /** Format: int64 */
            id: number;
            package_digest: string;
            package_evidence_count: number;
            reason: string;
            round: number;
            status: components["schemas"]["DecisionStatus"];
            void_reason: string;
        };
        /** @enum {string} */
        SMTPSecurity: "none" | "starttls" | "tls";
        SSHHostKey: {
            address: string;
            connected: string;
            fingerprint: string;
            type: string;
        };
        SSHHostKeyRequest: {
            address: string;
        };
        SSHSource: {
            address: string;
            device: string;
            host?: string;
            host_key_fingerprint?: string;
            insecure_ignore_host_key?: boolean;
            password?: string;
            private_key?: string;
            user: string;
        };
        StepInput: {
            note: string;
            outcome: string;
            step: string;
        };
        /** @enum {string} */
        Strategy: "big-bang" | "phased";
        Target: {
            address: string;
            auth_kind: components["schemas"]["TargetAuthKind"];
            /** Format: int64 */
            ci_id: number;
            ci_kind: string;
            criticality: string;
            environment: string;
            has_credential: boolean;
            has_sudo_password: boolean;
            host_key_fingerprint: string;
            host_key_type: string;
            kind: components["schemas"]["TargetKind"];
            libvirt_domain: string;
            libvirt_host: string;
            name: string;
            port: number;
            sudo: boolean;
            tags: string[];
            /** Format: date-time */
            trusted_at: string | null;
            trusted_by: string;
            /** Format: date-time */
            updated_at: string | null;
            updated_by: string;
            user: string;
        };
        /** @enum {string} */
        TargetAuthKind: "none" | "password" | "private-key";
        TargetHostKey: {
            address: string;
            fingerprint: string;
            matches: boolean;
            pinned_fingerprint: string;
            type: string;
        };
        TargetImport: {
            rows: components["schemas"]["TargetImportRow"][];
        };
        /** @enum {string} */
        TargetImportAction: "create" | "update";
        TargetImportedRow: {
            action: components["schemas"]["TargetImportAction"];
            address: string;
            /** Format: int64 */
            ci_id: number;
            criticality: string;
            environment: string;
            kind: components["schemas"]["TargetKind"];
            line?: number;
            name: string;
            port: number;
            row: number;
            sets_password: boolean;
            tags: string[];
            user: string;
        };
        TargetImportResult: {
            created: number;
            dry_run: boolean;
            rows: components["schemas"]["TargetImportedRow"][];
            updated: number;
        };
        TargetImportRow: {
            address?: string;
            criticality?: string;
            environment?: string;
            name: string;
            password?: string;
            port?: number;
            tags?: string[];
            user?: string;
        };
        TargetInput: {
            address?: string | null;
            auth_kind?: components["schemas"]["TargetAuthKind"] | null;
            credential?: string | null;
            port?: number | null;
            sudo?: boolean | null;
            sudo_password?: string | null;
            user?: string | null;
        };
        TargetInstall: {
            /** Format: date-time */
            at: string;
            digest: string;
            /** Format: int64 */
            release_id: number;
            release_name: string;
            release_version: string;
            rollout_id: string;
            state: components["schemas"]["TargetInstallState"];
        };
        TargetInstalls: {
            items: components["schemas"]["TargetInstall"][];
        };
        /** @enum {string} */
        TargetInstallState: "installed" | "rolled-back";
        /** @enum {string} */
        TargetKind: "vm" | "ssh" | "manual";
        TargetPage: {
            items: components["schemas"]["Target"][];
            limit: number;
            offset: number;
            total: number;
        };
        TargetTags: {
            tags: string[];
        };
        TargetTrustRequest: {
            fingerprint: string;
        };
        TestMailRequest: {
            to: string;
        };
        Token: {
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            expires_at: string | null;
            /** Format: int64 */
            id: number;
            /** Format: date-time */
            last_used_at: string | null;
            name: string;
            prefix: string;
        };
        TokenCreated: {
            secret: string;
            token: components["schemas"]["Token"];
        };
        TokenPage: {
            items: components["schemas"]["Token"][];
            limit: number;
            offset: number;
            total: number;
        };
        TokenRequest: {
            expires_in_days?: number | null;
            name: string;
        };
        TokensRevoked: {
            revoked: number;
        };
        Transition: {
            actor: string;
            /** Format: date-time */
            at: string;
            expedited: boolean;
            from?: components["schemas"]["ReleaseState"];
            reason: string;
            to: components["schemas"]["ReleaseState"];
        };
        TransitionRequest: {
            digest?: string;
            override_freeze?: boolean;
            reason?: string;
            to: components["schemas"]["ReleaseState"];
        };
        /** @enum {string} */
        Trip: "exceeded" | "reached";
        User: {
            /** Format: date-time */
            created_at: string;
            disabled: boolean;
            display_name: string;
            /** Format: int64 */
            id: number;
            roles: components["schemas"]["Role"][];
            username: string;
        };
        UserInput: {
            disabled?: boolean | null;
            display_name?: string | null;
            password?: string | null;
            roles?: components["schemas"]["Role"][] | null;
            username?: string | null;
        };
        UserPage: {
            items: components["schemas"]["User"][];
            limit: number;
            offset: number;
            total: number;
        };
        VMDetail: {
            active: boolean;
            can_type: boolean;
            error: string;
            guest: components["schemas"]["GuestInfo"];
            host: string;
            ips: string[];
            lab_id: string;
            vm: components["schemas"]["LabVM"];
        };
        /** @enum {string} */
        VMStart: "resume" | "boot";
        WavePreview: {
            policy: string;
            waves: components["schemas"]["RolloutTarget"][][];
        };
        Webhook: {
            /** Format: date-time */
            created_at: string;
            created_by: string;
            enabled: boolean;
            events: components["schemas"]["NotificationKind"][];
            format: components["schemas"]["WebhookFormat"];
            /** Format: int64 */
            id: number;
            name: string;
            secret?: string;
            url: string;
        };
        /** @enum {string} */
        WebhookFormat: "json" | "chat";
        WebhookInput: {
            enabled: boolean;
            events: components["schemas"]["NotificationKind"][];
            format: components["schemas"]["WebhookFormat"];
            name: string;
            renew_secret: boolean;
            url: string;
        };
        WebhookList: {
            items: components["schemas"]["Webhook"][];
        };
        WebhookTest: {
            chat: components["schemas"]["ChatPayload"];
            delivery: components["schemas"]["Delivery"];
            payload: components["schemas"]["NotificationPayload"];
        };
    };
    responses: {
        /** @description The body is not the JSON this route reads (malformed, empty, or more than one value) */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Conflicts with the current state (the message says what to do) */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The caller's roles do not allow this, or a browser write lacks its CSRF token */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Something went wrong on the server (logged); the message is generic */
        InternalServerError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The upload has no Content-Length */
        LengthRequired: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description What the path (or a referenced id) names does not exist */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The body is over the size limit */
        RequestEntityTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description A libvirt host (or the package store) cannot be reached right now */
        ServiceUnavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Too many attempts; Retry-After says when to try again */
        TooManyRequests: {
            headers: {
                /** @description seconds to wait */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Not signed in: no session or token, or one that has expired */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Invalid input; error.field names the field at fault */
        UnprocessableEntity: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The body's Content-Type is not the one this route reads */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type ApprovalPolicy = components['schemas']['ApprovalPolicy'];
export type ApproverDeploy = components['schemas']['ApproverDeploy'];
export type AssembleFile = components['schemas']['AssembleFile'];
export type AssembleInput = components['schemas']['AssembleInput'];
export type AttachedList = components['schemas']['AttachedList'];
export type AttachedPackage = components['schemas']['AttachedPackage'];
export type AttachRequest = components['schemas']['AttachRequest'];
export type AuditEntry = components['schemas']['AuditEntry'];
export type AuditEntryPage = components['schemas']['AuditEntryPage'];
export type AuditVerification = components['schemas']['AuditVerification'];
export type BaseMemory = components['schemas']['BaseMemory'];
export type Calendar = components['schemas']['Calendar'];
export type Change = components['schemas']['Change'];
export type ChangeBase = components['schemas']['ChangeBase'];
export type ChangeBaseKind = components['schemas']['ChangeBaseKind'];
export type ChangeInput = components['schemas']['ChangeInput'];
export type ChatPayload = components['schemas']['ChatPayload'];
export type CheckOutcome = components['schemas']['CheckOutcome'];
export type CI = components['schemas']['CI'];
export type CIInput = components['schemas']['CIInput'];
export type CIPage = components['schemas']['CIPage'];
export type CommandCheck = components['schemas']['CommandCheck'];
export type Conflict = components['schemas']['Conflict'];
export type ConflictKind = components['schemas']['ConflictKind'];
export type CriticalityChange = components['schemas']['CriticalityChange'];
export type DecisionInput = components['schemas']['DecisionInput'];
export type DecisionStatus = components['schemas']['DecisionStatus'];
export type Delivery = components['schemas']['Delivery'];
export type DeliveryAttempt = components['schemas']['DeliveryAttempt'];
export type DeliveryList = components['schemas']['DeliveryList'];
export type DeliveryState = components['schemas']['DeliveryState'];
export type DiffHunk = components['schemas']['DiffHunk'];
export type DiffLine = components['schemas']['DiffLine'];
export type DiffOp = components['schemas']['DiffOp'];
export type DiskImage = components['schemas']['DiskImage'];
export type DiskImagePage = components['schemas']['DiskImagePage'];
export type DutyPolicy = components['schemas']['DutyPolicy'];
export type DutyPolicyList = components['schemas']['DutyPolicyList'];
export type ErrorBody = components['schemas']['ErrorBody'];
export type ErrorCode = components['schemas']['ErrorCode'];
export type ErrorDetail = components['schemas']['ErrorDetail'];
export type Evidence = components['schemas']['Evidence'];
export type EvidenceCount = components['schemas']['EvidenceCount'];
export type EvidenceGridCell = components['schemas']['EvidenceGridCell'];
export type EvidenceGridRow = components['schemas']['EvidenceGridRow'];
export type EvidenceInput = components['schemas']['EvidenceInput'];
export type EvidenceKind = components['schemas']['EvidenceKind'];
export type EvidenceLab = components['schemas']['EvidenceLab'];
export type EvidenceList = components['schemas']['EvidenceList'];
export type EvidencePage = components['schemas']['EvidencePage'];
export type FailurePolicy = components['schemas']['FailurePolicy'];
export type FollowUp = components['schemas']['FollowUp'];
export type FreezeInput = components['schemas']['FreezeInput'];
export type FreezeWindow = components['schemas']['FreezeWindow'];
export type FreezeWindowPage = components['schemas']['FreezeWindowPage'];
export type GuestInfo = components['schemas']['GuestInfo'];
export type GuestInterface = components['schemas']['GuestInterface'];
export type Health = components['schemas']['Health'];
export type HealthCheck = components['schemas']['HealthCheck'];
export type HostCapacity = components['schemas']['HostCapacity'];
export type HostStatus = components['schemas']['HostStatus'];
export type HTTPCheck = components['schemas']['HTTPCheck'];
export type ImageImportStage = components['schemas']['ImageImportStage'];
export type Inbox = components['schemas']['Inbox'];
export type InboxItem = components['schemas']['InboxItem'];
export type Incident = components['schemas']['Incident'];
export type KPIFigure = components['schemas']['KPIFigure'];
export type KPIReport = components['schemas']['KPIReport'];
export type KPISeries = components['schemas']['KPISeries'];
export type KPITrend = components['schemas']['KPITrend'];
export type KPIWaiting = components['schemas']['KPIWaiting'];
export type Lab = components['schemas']['Lab'];
export type LabBase = components['schemas']['LabBase'];
export type LabBaseKind = components['schemas']['LabBaseKind'];
export type LabBaseState = components['schemas']['LabBaseState'];
export type LabCheck = components['schemas']['LabCheck'];
export type LabCreateStage = components['schemas']['LabCreateStage'];
export type LabInput = components['schemas']['LabInput'];
export type LabPackageFile = components['schemas']['LabPackageFile'];
export type LabPackageInput = components['schemas']['LabPackageInput'];
export type LabPage = components['schemas']['LabPage'];
export type LabPeriodStage = components['schemas']['LabPeriodStage'];
export type LabStarted = components['schemas']['LabStarted'];
export type LabStatus = components['schemas']['LabStatus'];
export type LabSummary = components['schemas']['LabSummary'];
export type LabTeardownStage = components['schemas']['LabTeardownStage'];
export type LabVM = components['schemas']['LabVM'];
export type LabVMState = components['schemas']['LabVMState'];
export type LibvirtDomain = components['schemas']['LibvirtDomain'];
export type LibvirtDomainMeta = components['schemas']['LibvirtDomainMeta'];
export type LibvirtDomainPage = components['schemas']['LibvirtDomainPage'];
export type LibvirtHost = components['schemas']['LibvirtHost'];
export type LibvirtHostInput = components['schemas']['LibvirtHostInput'];
export type LibvirtHostPage = components['schemas']['LibvirtHostPage'];
export type LoginRequest = components['schemas']['LoginRequest'];
export type Manifest = components['schemas']['Manifest'];
export type ManifestFile = components['schemas']['ManifestFile'];
export type ManualCheck = components['schemas']['ManualCheck'];
export type Me = components['schemas']['Me'];
export type Notes = components['schemas']['Notes'];
export type NotesInput = components['schemas']['NotesInput'];
export type NotificationKind = components['schemas']['NotificationKind'];
export type NotificationKindInfo = components['schemas']['NotificationKindInfo'];
export type NotificationPayload = components['schemas']['NotificationPayload'];
export type NotificationPrefs = components['schemas']['NotificationPrefs'];
export type NotificationPrefsView = components['schemas']['NotificationPrefsView'];
export type NotificationSettings = components['schemas']['NotificationSettings'];
export type NotificationSettingsInput = components['schemas']['NotificationSettingsInput'];
export type Occurrence = components['schemas']['Occurrence'];
export type OnBreach = components['schemas']['OnBreach'];
export type Operation = components['schemas']['Operation'];
export type OperationPage = components['schemas']['OperationPage'];
export type OperationStages = components['schemas']['OperationStages'];
export type OperationStatus = components['schemas']['OperationStatus'];
export type Package = components['schemas']['Package'];
export type PackageDiff = components['schemas']['PackageDiff'];
export type PackageEntry = components['schemas']['PackageEntry'];
export type PackageEvidence = components['schemas']['PackageEvidence'];
export type PackageFile = components['schemas']['PackageFile'];
export type PackageFileChange = components['schemas']['PackageFileChange'];
export type PackageFileChangeKind = components['schemas']['PackageFileChangeKind'];
export type PackageFileKind = components['schemas']['PackageFileKind'];
export type PackageFiles = components['schemas']['PackageFiles'];
export type PackageIdentity = components['schemas']['PackageIdentity'];
export type PackagePage = components['schemas']['PackagePage'];
export type PackageRef = components['schemas']['PackageRef'];
export type PasswordChange = components['schemas']['PasswordChange'];
export type PasswordRequest = components['schemas']['PasswordRequest'];
export type PeriodInput = components['schemas']['PeriodInput'];
export type PolicyList = components['schemas']['PolicyList'];
export type ReconcileHostReport = components['schemas']['ReconcileHostReport'];
export type ReconcileReport = components['schemas']['ReconcileReport'];
export type Release = components['schemas']['Release'];
export type ReleaseChanges = components['schemas']['ReleaseChanges'];
export type ReleaseInput = components['schemas']['ReleaseInput'];
export type ReleaseRef = components['schemas']['ReleaseRef'];
export type ReleaseState = components['schemas']['ReleaseState'];
export type ReleaseSummary = components['schemas']['ReleaseSummary'];
export type ReleaseSummaryPage = components['schemas']['ReleaseSummaryPage'];
export type ReleaseTesting = components['schemas']['ReleaseTesting'];
export type ReleaseType = components['schemas']['ReleaseType'];
export type Review = components['schemas']['Review'];
export type ReviewInput = components['schemas']['ReviewInput'];
export type ReviewOutcome = components['schemas']['ReviewOutcome'];
export type RiskReason = components['schemas']['RiskReason'];
export type RiskSummary = components['schemas']['RiskSummary'];
export type Role = components['schemas']['Role'];
export type Rollout = components['schemas']['Rollout'];
export type RolloutAction = components['schemas']['RolloutAction'];
export type RolloutCheckResult = components['schemas']['RolloutCheckResult'];
export type RolloutGate = components['schemas']['RolloutGate'];
export type RolloutList = components['schemas']['RolloutList'];
export type RolloutLog = components['schemas']['RolloutLog'];
export type RolloutLogs = components['schemas']['RolloutLogs'];
export type RolloutPlan = components['schemas']['RolloutPlan'];
export type RolloutSize = components['schemas']['RolloutSize'];
export type RolloutStart = components['schemas']['RolloutStart'];
export type RolloutStatus = components['schemas']['RolloutStatus'];
export type RolloutTarget = components['schemas']['RolloutTarget'];
export type RolloutTargetKind = components['schemas']['RolloutTargetKind'];
export type RolloutTargetRun = components['schemas']['RolloutTargetRun'];
export type RolloutTargetState = components['schemas']['RolloutTargetState'];
export type RowError = components['schemas']['RowError'];
export type Settings = components['schemas']['Settings'];
export type SignOff = components['schemas']['SignOff'];
export type SignOffDecision = components['schemas']['SignOffDecision'];
export type SMTPSecurity = components['schemas']['SMTPSecurity'];
export type SSHHostKey = components['schemas']['SSHHostKey'];
export type SSHHostKeyRequest = components['schemas']['SSHHostKeyRequest'];
export type SSHSource = components['schemas']['SSHSource'];
export type StepInput = components['schemas']['StepInput'];
export type Strategy = components['schemas']['Strategy'];
export type Target = components['schemas']['Target'];
export type TargetAuthKind = components['schemas']['TargetAuthKind'];
export type TargetHostKey = components['schemas']['TargetHostKey'];
export type TargetImport = components['schemas']['TargetImport'];
export type TargetImportAction = components['schemas']['TargetImportAction'];
export type TargetImportedRow = components['schemas']['TargetImportedRow'];
export type TargetImportResult = components['schemas']['TargetImportResult'];
export type TargetImportRow = components['schemas']['TargetImportRow'];
export type TargetInput = components['schemas']['TargetInput'];
export type TargetInstall = components['schemas']['TargetInstall'];
export type TargetInstalls = components['schemas']['TargetInstalls'];
export type TargetInstallState = components['schemas']['TargetInstallState'];
export type TargetKind = components['schemas']['TargetKind'];
export type TargetPage = components['schemas']['TargetPage'];
export type TargetTags = components['schemas']['TargetTags'];
export type TargetTrustRequest = components['schemas']['TargetTrustRequest'];
export type TestMailRequest = components['schemas']['TestMailRequest'];
export type Token = components['schemas']['Token'];
export type TokenCreated = components['schemas']['TokenCreated'];
export type TokenPage = components['schemas']['TokenPage'];
export type TokenRequest = components['schemas']['TokenRequest'];
export type TokensRevoked = components['schemas']['TokensRevoked'];
export type Transition = components['schemas']['Transition'];
export type TransitionRequest = components['schemas']['TransitionRequest'];
export type Trip = components['schemas']['Trip'];
export type User = components['schemas']['User'];
export type UserInput = components['schemas']['UserInput'];
export type UserPage = components['schemas']['UserPage'];
export type VMDetail = components['schemas']['VMDetail'];
export type VMStart = components['schemas']['VMStart'];
export type WavePreview = components['schemas']['WavePreview'];
export type Webhook = components['schemas']['Webhook'];
export type WebhookFormat = components['schemas']['WebhookFormat'];
export type WebhookInput = components['schemas']['WebhookInput'];
export type WebhookList = components['schemas']['WebhookList'];
export type WebhookTest = components['schemas']['WebhookTest'];
export type ResponseBadRequest = components['responses']['BadRequest'];
export type ResponseConflict = components['responses']['Conflict'];
export type ResponseForbidden = components['responses']['Forbidden'];
export type ResponseInternalServerError = components['responses']['InternalServerError'];
export type ResponseLengthRequired = components['responses']['LengthRequired'];
export type ResponseNotFound = components['responses']['NotFound'];
export type ResponseRequestEntityTooLarge = components['responses']['RequestEntityTooLarge'];
export type ResponseServiceUnavailable = components['responses']['ServiceUnavailable'];
export type ResponseTooManyRequests = components['responses']['TooManyRequests'];
export type ResponseUnauthorized = components['responses']['Unauthorized'];
export type ResponseUnprocessableEntity = components['responses']['UnprocessableEntity'];
export type ResponseUnsupportedMediaType = components['responses']['UnsupportedMediaType'];
export type $defs = Record<string, never>;
export interface operations {
    getApproval_policies: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putApproval_policies: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApprovalPolicy"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApprovalPolicy"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    deleteApproval_policies: {
        parameters: {
            query?: {
                environment?: string;
                type?: components["schemas"]["ReleaseType"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getApprovalsInbox: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Inbox"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getAudit: {
        parameters: {
            query?: {
                actor?: string;
                /** @description user, token, session and settings: admins only */
                entity?: string;
                entity_id?: string;
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEntryPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getAuditVerify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditVerification"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postAuthLogin: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postAuthLogout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getAuthMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postAuthPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PasswordRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PasswordChange"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getAuthTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postAuthTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TokenRequest"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenCreated"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    deleteAuthTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokensRevoked"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    deleteAuthTokensId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getCalendar: {
        parameters: {
            query: {
                /** @description RFC 3339 start */
                from: string;
                /** @description RFC 3339 end */
                to: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Calendar"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getCis: {
        parameters: {
            query?: {
                environment?: string;
                kind?: "vm" | "host";
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CIPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postCis: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CIInput"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CI"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getCisId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CI"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    patchCisId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CIInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CI"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getCisIdImages: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DiskImagePage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postCisIdImages: {
        parameters: {
            query?: {
                /** @description libvirt host to import into (default local) */
                host?: string;
                /** @description where the image comes from, e.g. the machine and device */
                origin?: string;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DiskImage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            411: components["responses"]["LengthRequired"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteCisIdImagesImage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
                image: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    postCisIdImagesSsh: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SSHSource"];
            };
        };
        responses: {
            /** @description OK */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Operation"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    postCisIdImagesSshFingerprint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SSHHostKeyRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SSHHostKey"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getCisIdInstalls: {
        parameters: {
            query?: {
                /** @description at most this many lines (default 100, at most 1000) */
                limit?: number;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetInstalls"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putCisIdTags: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TargetTags"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getCisIdTarget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putCisIdTarget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TargetInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    deleteCisIdTarget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postCisIdTargetHost_keyFetch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetHostKey"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postCisIdTargetHost_keyTrust: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TargetTrustRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getDuty_policies: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DutyPolicyList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putDuty_policies: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DutyPolicy"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DutyPolicy"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    deleteDuty_policies: {
        parameters: {
            query: {
                environment: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getEvents: {
        parameters: {
            query?: {
                /** @description API token, for clients that cannot send headers */
                token?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching to WebSocket; the server sends JSON event frames {type, id, at, data} */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getFreezes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FreezeWindowPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postFreezes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FreezeInput"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FreezeWindow"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    deleteFreezesId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    patchFreezesId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FreezeInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FreezeWindow"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            500: components["responses"]["InternalServerError"];
        };
    };
    getHost: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HostStatus"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getHosts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LibvirtHostPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postHosts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LibvirtHostInput"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LibvirtHost"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteHostsName: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getHostsNameDomains: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LibvirtDomainPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getKpis: {
        parameters: {
            query?: {
                bucket?: "day" | "week" | "month";
                /** @description one environment (default all) */
                environment?: string;
                /** @description first day, YYYY-MM-DD (default 90 days ago) */
                from?: string;
                /** @description last day, YYYY-MM-DD (default today) */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KPIReport"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getKpis_csv: {
        parameters: {
            query?: {
                bucket?: "day" | "week" | "month";
                /** @description one environment (default all) */
                environment?: string;
                /** @description first day, YYYY-MM-DD (default 90 days ago) */
                from?: string;
                /** @description last day, YYYY-MM-DD (default today) */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getLabs: {
        parameters: {
            query?: {
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description only labs that are not torn down */
                live?: boolean;
                /** @description items to skip */
                offset?: number;
                release_id?: number;
                status?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LabPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getLabsId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Lab"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postLabsIdTeardown: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LabStarted"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    postLabsIdTest_periods: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PeriodInput"];
            };
        };
        responses: {
            /** @description OK */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LabStarted"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getLabsIdVmsDomain: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                domain: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VMDetail"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getLabsIdVmsDomainConsole: {
        parameters: {
            query?: {
                /** @description API token, for clients that cannot send headers */
                token?: string;
            };
            header?: never;
            path: {
                domain: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching to WebSocket (see the summary) */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getLabsReconcile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReconcileReport"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getNotificationsDeliveries: {
        parameters: {
            query?: {
                channel?: "email" | "webhook";
                /** @description at most this many (default 100, at most 500) */
                limit?: number;
                /** @description a username or a webhook id */
                recipient?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postNotificationsDeliveriesIdResend: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Delivery"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getNotificationsPreferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationPrefsView"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putNotificationsPreferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NotificationPrefs"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationPrefsView"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getNotificationsSettings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationSettings"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putNotificationsSettings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NotificationSettingsInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationSettings"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postNotificationsTest_mail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TestMailRequest"];
            };
        };
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getNotificationsWebhooks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postNotificationsWebhooks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookInput"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putNotificationsWebhooksId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    deleteNotificationsWebhooksId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postNotificationsWebhooksIdTest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookTest"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getOpenapi_json: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            500: components["responses"]["InternalServerError"];
        };
    };
    getOperations: {
        parameters: {
            query?: {
                entity?: string;
                entity_id?: string;
                kind?: string;
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
                /** @description one status or a comma-separated list */
                status?: components["schemas"]["OperationStatus"][];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OperationPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getOperationsId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Operation"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postOperationsIdCancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Operation"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getPackages: {
        parameters: {
            query?: {
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
                /** @description name or digest prefix */
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PackagePage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postPackages: {
        parameters: {
            query?: {
                filename?: string;
                /** @description attach the package to this release */
                release_id?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Package"];
                };
            };
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Package"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getPackagesDigest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                digest: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Package"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getPackagesDigestDiff: {
        parameters: {
            query: {
                /** @description the digest of the package to compare with */
                base: string;
            };
            header?: never;
            path: {
                digest: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PackageDiff"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getPackagesDigestDownload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                digest: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getPackagesDigestFiles: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                digest: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PackageFiles"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    postPackagesAssemble: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AssembleInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Package"];
                };
            };
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Package"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleases: {
        parameters: {
            query?: {
                /** @description releases touching this configuration item */
                ci_id?: number;
                environment?: string;
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
                order?: "asc" | "desc";
                /** @description text in name, version, description or owner */
                q?: string;
                sort?: "name" | "version" | "state" | "type" | "planned_start" | "updated_at" | "risk" | "environment" | "owner";
                /** @description one state or a comma-separated list */
                state?: components["schemas"]["ReleaseState"][];
                type?: components["schemas"]["ReleaseType"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReleaseSummaryPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleases: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReleaseInput"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Release"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Release"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    patchReleasesId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReleaseInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Release"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleasesIdApprovals: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DecisionInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignOff"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdAudit: {
        parameters: {
            query?: {
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEntryPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdChanges: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReleaseChanges"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdEvidence: {
        parameters: {
            query?: {
                lab_id?: string;
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
                passed?: boolean;
                /** @description one lab VM (its domain name) */
                vm?: string;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EvidencePage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleasesIdEvidence: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EvidenceInput"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EvidenceList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdEvidenceGrid: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReleaseTesting"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleasesIdLabs: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LabInput"];
            };
        };
        responses: {
            /** @description OK */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LabStarted"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getReleasesIdNotes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Notes"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putReleasesIdNotes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NotesInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Notes"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleasesIdNotesPublish: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Notes"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putReleasesIdPackage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AttachRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Release"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdPackages: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AttachedList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdReport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putReleasesIdReview: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReviewInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Release"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdRollouts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RolloutList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleasesIdRollouts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RolloutStart"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rollout"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleasesIdRolloutsPreview: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RolloutStart"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WavePreview"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getReleasesIdSignoff: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignOff"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postReleasesIdTransitions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TransitionRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Release"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getRolloutsId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rollout"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postRolloutsIdActions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RolloutAction"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rollout"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getRolloutsIdLogs: {
        parameters: {
            query?: {
                after?: number;
                ci_id?: number;
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RolloutLogs"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postRolloutsIdTargetsCiStep: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                ci: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StepInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rollout"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getSettings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Settings"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["InternalServerError"];
        };
    };
    putSettings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Settings"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Settings"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getTargets: {
        parameters: {
            query?: {
                environment?: string;
                /** @description one kind or a comma-separated list */
                kind?: components["schemas"]["TargetKind"][];
                /** @description page size, 1–200 (default 50) */
                limit?: number;
                /** @description items to skip */
                offset?: number;
                /** @description text in the name, address or description */
                q?: string;
                /** @description targets carrying every tag given */
                tag?: string[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postTargetsImport: {
        parameters: {
            query?: {
                /** @description check the rows and answer what the import would do, writing nothing */
                dry_run?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TargetImport"];
                "text/csv": string;
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetImportResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getUsers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["InternalServerError"];
        };
    };
    postUsers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserInput"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
    getUsersId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["InternalServerError"];
        };
    };
    patchUsersId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserInput"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestEntityTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["UnprocessableEntity"];
            500: components["responses"]["InternalServerError"];
        };
    };
}
type FlattenedDeepRequired<T> = {
    [K in keyof T]-?: FlattenedDeepRequired<T[K] extends unknown[] | undefined | null ? Extract<T[K], unknown[]>[number] : T[K]>;
};
type ReadonlyArray<T> = [
    Exclude<T, undefined>
] extends [
    unknown[]
] ? Readonly<Exclude<T, undefined>> : Readonly<Exclude<T, undefined>[]>;
export const pathsCisGetParametersQueryKindValues: ReadonlyArray<FlattenedDeepRequired<paths>["/cis"]["get"]["parameters"]["query"]["kind"]> = ["vm", "host"];
export const pathsKpisGetParametersQueryBucketValues: ReadonlyArray<FlattenedDeepRequired<paths>["/kpis"]["get"]["parameters"]["query"]["bucket"]> = ["day", "week", "month"];
export const pathsKpisCsvGetParametersQueryBucketValues: ReadonlyArray<FlattenedDeepRequired<paths>["/kpis.csv"]["get"]["parameters"]["query"]["bucket"]> = ["day", "week", "month"];
export const pathsNotificationsDeliveriesGetParametersQueryChannelValues: ReadonlyArray<FlattenedDeepRequired<paths>["/notifications/deliveries"]["get"]["parameters"]["query"]["channel"]> = ["email", "webhook"];
export const pathsReleasesGetParametersQueryOrderValues: ReadonlyArray<FlattenedDeepRequired<paths>["/releases"]["get"]["parameters"]["query"]["order"]> = ["asc", "desc"];
export const pathsReleasesGetParametersQuerySortValues: ReadonlyArray<FlattenedDeepRequired<paths>["/releases"]["get"]["parameters"]["query"]["sort"]> = ["name", "version", "state", "type", "planned_start", "updated_at", "risk", "environment", "owner"];
export const approverDeployValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApproverDeploy"]> = ["yes", "no", "emergency"];
export const changeBaseKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ChangeBaseKind"]> = ["previous", "running"];
export const checkOutcomeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CheckOutcome"]> = ["passed", "failed", "unknown"];
export const conflictKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ConflictKind"]> = ["freeze", "ci_overlap", "dependency"];
export const decisionStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["DecisionStatus"]> = ["valid", "void", "superseded", "rejection"];
export const deliveryStateValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["DeliveryState"]> = ["pending", "sent", "failed"];
export const diffOpValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["DiffOp"]> = ["=", "-", "+"];
export const errorCodeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ErrorCode"]> = ["invalid", "not_found", "conflict", "forbidden", "unauthorized", "rate_limited", "too_large", "unavailable", "internal"];
export const evidenceKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["EvidenceKind"]> = ["install", "check", "manual"];
export const imageImportStageValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ImageImportStage"]> = ["connect", "stream", "done"];
export const labBaseKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["LabBaseKind"]> = ["snapshot", "import"];
export const labBaseStateValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["LabBaseState"]> = ["in-use", "released", "merged"];
export const labCreateStageValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["LabCreateStage"]> = ["capture", "network", "clone", "boot", "apply", "test-period"];
export const labPeriodStageValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["LabPeriodStage"]> = ["test-period"];
export const labStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["LabStatus"]> = ["creating", "ready", "testing", "passed", "failed", "tearing-down", "torn-down", "error"];
export const labTeardownStageValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["LabTeardownStage"]> = ["cancel", "remove-vms", "network", "bases", "done"];
export const labVMStateValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["LabVMState"]> = ["pending", "captured", "defined", "booting", "running", "removed"];
export const notificationKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["NotificationKind"]> = ["release.awaiting-approval", "release.approval-voided", "release.deployed", "release.failed", "lab.passed", "lab.failed", "rollout.paused", "test"];
export const onBreachValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["OnBreach"]> = ["rollback", "pause"];
export const operationStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["OperationStatus"]> = ["pending", "running", "success", "failure", "cancelling", "cancelled"];
export const packageFileChangeKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["PackageFileChangeKind"]> = ["added", "removed", "changed"];
export const packageFileKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["PackageFileKind"]> = ["text", "large", "binary", "symlink", "directory"];
export const releaseStateValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ReleaseState"]> = ["planned", "building", "testing", "awaiting-approval", "approved", "deploying", "deployed", "reviewed", "closed", "rejected", "failed", "rolled-back", "cancelled"];
export const releaseTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ReleaseType"]> = ["major", "minor", "emergency"];
export const reviewOutcomeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ReviewOutcome"]> = ["successful", "partially-successful", "failed", "rolled-back"];
export const roleValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Role"]> = ["tester", "manager", "admin"];
export const rolloutStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["RolloutStatus"]> = ["running", "paused", "rolling-back", "succeeded", "failed", "rolled-back", "aborted"];
export const rolloutTargetKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["RolloutTargetKind"]> = ["vm", "ssh", "manual"];
export const rolloutTargetStateValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["RolloutTargetState"]> = ["pending", "preparing", "installing", "installed", "healthy", "failed", "excluded", "rolling-back", "rolled-back"];
export const sMTPSecurityValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["SMTPSecurity"]> = ["none", "starttls", "tls"];
export const strategyValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Strategy"]> = ["big-bang", "phased"];
export const targetAuthKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TargetAuthKind"]> = ["none", "password", "private-key"];
export const targetImportActionValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TargetImportAction"]> = ["create", "update"];
export const targetInstallStateValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TargetInstallState"]> = ["installed", "rolled-back"];
export const targetKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TargetKind"]> = ["vm", "ssh", "manual"];
export const tripValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Trip"]> = ["exceeded", "reached"];
export const vMStartValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["VMStart"]> = ["resume", "boot"];
export const webhookFormatValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["WebhookFormat"]> = ["json", "chat"];
