pub mod ee_mumu;
