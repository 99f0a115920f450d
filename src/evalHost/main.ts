// placeholder: the evaluation host (issue #5) replaces this file
