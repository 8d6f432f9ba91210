"""Long operations as jobs (DESIGN rule 5): the queue, the worker pool and the job handlers."""
