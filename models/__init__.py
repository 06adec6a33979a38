"""Models (installed as ``landmarkset.models``): the paper's TCN and SCN, training and CAM.

Nothing is exported yet: the model registry arrives with the training work.
"""

__all__: list[str] = []
