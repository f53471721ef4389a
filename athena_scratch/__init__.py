"""Throw-away copies of the warehouse on Athena (a pull request's run): their names, and
dropping every Glue database and S3 object one made, and nothing else."""
