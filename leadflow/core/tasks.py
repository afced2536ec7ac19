"""The task queue: django-tasks-db's database backend, storing each task with an INSERT
built once.

Every capture queues a task (assign the new lead). django-tasks-db stores it with
`objects.create`, which builds its INSERT anew each time: about a sixth of the CPU time
of `POST /api/v1/leads` (py-spy on bench/api_capture.py). This backend stores the same row with
`insert_new`, and builds the queued task's result once instead of twice; everything else
(the worker, results, retries) is django-tasks-db's.
"""

from typing import Any, TypeVar

from django_tasks_db.backend import DatabaseBackend, TaskResult
from django_tasks_db.compat import Task, normalize_json, task_enqueued
from typing_extensions import ParamSpec

from .inserts import insert_new

P = ParamSpec("P")
T = TypeVar("T")


class TaskBackend(DatabaseBackend):
    def enqueue(self, task: Task[P, T], args: Any, kwargs: Any) -> TaskResult[P, T]:
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result
        task_enqueued.send(type(self), task_result=result)
        return result

    def _task_to_db_task(self, task: Task[P, T], args: Any, kwargs: Any):
        from django_tasks_db.models import DBTaskResult  # the app registry is ready by now

        return insert_new(
            DBTaskResult(
                id=self._get_id(),
                args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                run_after=task.run_after,  # type: ignore[misc]  # None: the pre_save signal sets it
                backend_name=self.alias,
            )
        )
