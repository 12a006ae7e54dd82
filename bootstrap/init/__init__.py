"""`bootstrap init`: the wizard, the pipeline (look -> plan -> act), its steps, the test clone."""
