"""Model families as data (registry), explicit chat templates, tiny offline models, loading + LoRA."""
