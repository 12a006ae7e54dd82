"""What the user sees and answers: ✓/✗ lines and the one JSON document, and the prompts."""
