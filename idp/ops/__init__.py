"""Operations: the metrics endpoint and the backup and restore commands."""
