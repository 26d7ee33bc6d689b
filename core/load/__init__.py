"""Load testing, capacity modelling and autoscaling replay.

* ``engine``/``plan``/``histogram``: an open-loop HTTP load generator that times every
  request from its intended send time (no coordinated omission);
* ``demo_server``: the built-in ``serve-demo`` endpoint on 127.0.0.1;
* ``capacity``: M/M/c (Erlang C), Allen–Cunneen and a discrete-event simulation;
* ``autoscale``: replaying a traffic trace through a scaling policy (HPA-faithful or the seed policy);
* ``plans``: export a test plan to Locust/k6 and import their results as runs.
"""
