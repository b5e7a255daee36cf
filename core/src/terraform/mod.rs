//! Terraform code in one home: its files (`files`), the root modules under a folder
//! (`discover`), evaluation of `.tf` code into declarations (`eval`), patches and
//! `declared_at` (`patch`), and `declarations`, which gathers what a check compares
//! from states, code and discovered root modules. Reading state files is `tfstate`.

pub mod declarations;
pub mod discover;
pub mod eval;
pub mod files;
pub mod patch;
