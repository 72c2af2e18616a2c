"""Per-workspace settings (issue #11): what a workspace's admins may set on the Home tab
(:mod:`bot.workspace.fields`), the effective settings of a request
(:class:`bot.workspace.resolver.SettingsResolver`), who counts as an admin
(:mod:`bot.workspace.admins`) and the Settings modal (:mod:`bot.workspace.modal`)."""
