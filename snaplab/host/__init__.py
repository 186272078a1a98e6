"""Making a host: packages, daemons, preseed, users and the offline lab image."""
