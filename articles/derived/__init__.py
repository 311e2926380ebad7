"""Values the site derives from the content it stores, and keeps in step with it."""
