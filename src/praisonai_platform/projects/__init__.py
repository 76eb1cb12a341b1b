"""Projects that group issues."""
