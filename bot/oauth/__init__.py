"""Installing Imagine in many workspaces: Bolt's OAuth flow and its pages (issue #11)."""
