"""The lifecycle actions LXD 5.0 and Incus 6.0 emit: what `record.events` and `record.others`
may name, checked when a lab loads, so a typo is a lab error instead of a step that never passes.

Data, not code: the action names in each daemon's shared/api/event_lifecycle.go (LXD tag
lxd-5.0.2, Incus tag v6.0.4) that the installed daemon binary also contains (`strings
/usr/bin/lxd`, `strings /usr/libexec/incus/incusd`). LXD 5.0.2's API file names a few it never
sends (instance-ready, storage buckets, network load balancers): they are left out. Every LXD
action is an Incus one; Incus adds its own.
"""

from __future__ import annotations

# emitted by both
SHARED = frozenset(
    (
        "certificate-created",
        "certificate-deleted",
        "certificate-updated",
        "cluster-certificate-updated",
        "cluster-disabled",
        "cluster-enabled",
        "cluster-group-created",
        "cluster-group-deleted",
        "cluster-group-renamed",
        "cluster-group-updated",
        "cluster-member-added",
        "cluster-member-removed",
        "cluster-member-renamed",
        "cluster-member-updated",
        "cluster-token-created",
        "config-updated",
        "image-alias-created",
        "image-alias-deleted",
        "image-alias-renamed",
        "image-alias-updated",
        "image-created",
        "image-deleted",
        "image-refreshed",
        "image-retrieved",
        "image-secret-created",
        "image-updated",
        "instance-backup-created",
        "instance-backup-deleted",
        "instance-backup-renamed",
        "instance-backup-retrieved",
        "instance-console",
        "instance-console-reset",
        "instance-console-retrieved",
        "instance-created",
        "instance-deleted",
        "instance-exec",
        "instance-file-deleted",
        "instance-file-pushed",
        "instance-file-retrieved",
        "instance-log-deleted",
        "instance-log-retrieved",
        "instance-metadata-retrieved",
        "instance-metadata-template-created",
        "instance-metadata-template-deleted",
        "instance-metadata-template-retrieved",
        "instance-metadata-updated",
        "instance-paused",
        "instance-renamed",
        "instance-restarted",
        "instance-restored",
        "instance-resumed",
        "instance-shutdown",
        "instance-snapshot-created",
        "instance-snapshot-deleted",
        "instance-snapshot-renamed",
        "instance-snapshot-updated",
        "instance-started",
        "instance-stopped",
        "instance-updated",
        "network-acl-created",
        "network-acl-deleted",
        "network-acl-renamed",
        "network-acl-updated",
        "network-created",
        "network-deleted",
        "network-forward-created",
        "network-forward-deleted",
        "network-forward-updated",
        "network-peer-created",
        "network-peer-deleted",
        "network-peer-updated",
        "network-renamed",
        "network-updated",
        "network-zone-created",
        "network-zone-deleted",
        "network-zone-record-created",
        "network-zone-record-deleted",
        "network-zone-record-updated",
        "network-zone-updated",
        "operation-cancelled",
        "profile-created",
        "profile-deleted",
        "profile-renamed",
        "profile-updated",
        "project-created",
        "project-deleted",
        "project-renamed",
        "project-updated",
        "storage-pool-created",
        "storage-pool-deleted",
        "storage-pool-updated",
        "storage-volume-backup-created",
        "storage-volume-backup-deleted",
        "storage-volume-backup-renamed",
        "storage-volume-backup-retrieved",
        "storage-volume-created",
        "storage-volume-deleted",
        "storage-volume-renamed",
        "storage-volume-restored",
        "storage-volume-snapshot-created",
        "storage-volume-snapshot-deleted",
        "storage-volume-snapshot-renamed",
        "storage-volume-snapshot-updated",
        "storage-volume-updated",
        "warning-acknowledged",
        "warning-deleted",
        "warning-reset",
    )
)
# Incus 6.0 only
INCUS_ONLY = frozenset(
    (
        "cluster-member-evacuated",
        "cluster-member-healed",
        "cluster-member-restored",
        "instance-migrated",
        "instance-ready",
        "network-integration-created",
        "network-integration-deleted",
        "network-integration-updated",
        "network-load-balancer-created",
        "network-load-balancer-deleted",
        "network-load-balancer-updated",
        "storage-bucket-backup-created",
        "storage-bucket-backup-deleted",
        "storage-bucket-backup-renamed",
        "storage-bucket-backup-retrieved",
        "storage-bucket-created",
        "storage-bucket-deleted",
        "storage-bucket-key-created",
        "storage-bucket-key-deleted",
        "storage-bucket-key-updated",
        "storage-bucket-updated",
    )
)
EMITTED = {"lxd": SHARED, "incus": SHARED | INCUS_ONLY}  # backend name -> its actions
TITLES = {"lxd": "LXD 5.0", "incus": "Incus 6.0"}


def problem(action: str) -> str:
    """Why a lab may not name this action ("" if it may): every lab runs on both daemons."""
    lacking = [TITLES[b] for b, actions in EMITTED.items() if action not in actions]
    if len(lacking) == len(EMITTED):
        return f"{action!r} is no lifecycle action of {' or '.join(TITLES.values())}"
    if lacking:
        return f"{action!r} is not emitted by {', '.join(lacking)}"
    return ""
