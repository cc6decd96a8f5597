"""The JSON API ``/api/v1``, one module per domain; ``params`` holds the error shape and the
parameter types they share."""
