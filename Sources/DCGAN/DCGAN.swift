/// DCGAN — generator inference for `dcgan-vpd` decoy images, from committed weights.
