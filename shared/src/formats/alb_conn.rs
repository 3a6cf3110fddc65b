//! Placeholder: this format's parser is being written.
