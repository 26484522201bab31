//! The reference's vectors (identity.json, destinations.json, crypto.json),
//! reproduced byte for byte.

mod common;

use common::{FixedRng, hex_array, hex_field, vectors};
use rns_crypto::ecdh::X25519Keypair;
use rns_crypto::hash::full_hash;
use rns_crypto::{
    DecryptError, DestinationKind, IdentityHash, PrivateIdentity, Ratchet, Signature, Token,
    TokenError, TokenMode, destination_hash, destination_hash_for, hkdf, name_hash, ratchet_id,
};

#[test]
fn identity_keys_hashes_and_signatures() {
    let file = vectors("identity");
    let list = file["vectors"].as_array().unwrap();
    assert!(!list.is_empty());
    for v in list {
        let id = PrivateIdentity::from_private_slice(&hex_field(v, "private_key")).unwrap();
        assert_eq!(&id.to_private_bytes()[..], &hex_field(v, "private_key")[..]);
        assert_eq!(id.public().as_bytes().to_vec(), hex_field(v, "public_key"));
        assert_eq!(
            id.public().x25519_public().as_bytes().to_vec(),
            hex_field(v, "x25519_public")
        );
        assert_eq!(
            id.public().ed25519_public().to_bytes().to_vec(),
            hex_field(v, "ed25519_public")
        );
        assert_eq!(id.hash().as_bytes().to_vec(), hex_field(v, "identity_hash"));
        let full = full_hash(id.public().as_bytes());
        assert_eq!(full.to_vec(), hex_field(v, "full_hash_of_public_key"));

        let message = hex_field(v, "sign_message");
        let signature = id.sign(&message);
        assert_eq!(signature.0.to_vec(), hex_field(v, "signature"));
        let public = rns_crypto::PublicIdentity::from_slice(&hex_field(v, "public_key")).unwrap();
        assert!(public.verify(&message, &signature));

        let mut flipped = signature;
        flipped.0[10] ^= 0x01;
        assert!(!public.verify(&message, &flipped));
        let mut other_message = message.clone();
        other_message[0] ^= 0x80;
        assert!(!public.verify(&other_message, &signature));
        assert!(!public.verify(&message, &Signature([0; 64])));
    }
}

#[test]
fn destination_name_and_address_hashes() {
    let file = vectors("destinations");
    for v in file["vectors"].as_array().unwrap() {
        let full_name = v["full_name_used_for_name_hash"].as_str().unwrap();
        let nh = name_hash(full_name);
        assert_eq!(
            nh.as_bytes().to_vec(),
            hex_field(v, "name_hash"),
            "{full_name}"
        );

        let identity = v["identity_hash"]
            .as_str()
            .map(|h| h.parse::<IdentityHash>().unwrap());
        let kind = match v["type"].as_str().unwrap() {
            "SINGLE" => DestinationKind::Single,
            "GROUP" => DestinationKind::Group,
            "PLAIN" => DestinationKind::Plain,
            other => panic!("unexpected type {other}"),
        };
        assert_eq!(identity.is_none(), kind == DestinationKind::Plain);
        let expected = hex_field(v, "destination_hash");
        assert_eq!(
            destination_hash(&nh, identity.as_ref()).as_bytes().to_vec(),
            expected
        );

        let aspects: Vec<&str> = v["aspects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let app = v["app_name"].as_str().unwrap();
        let via_names = destination_hash_for(app, &aspects, identity.as_ref()).unwrap();
        assert_eq!(via_names.as_bytes().to_vec(), expected);

        if let Some(private) = v["identity_private_key"].as_str() {
            let id = PrivateIdentity::from_private_slice(&hex::decode(private).unwrap()).unwrap();
            assert_eq!(Some(id.hash()), identity);
        }
    }
}

#[test]
fn token_both_key_sizes() {
    let file = vectors("crypto");
    let list = file["token"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for v in list {
        let key = hex_field(v, "key");
        let token = Token::new(&key).unwrap();
        let mode = match v["mode"].as_str().unwrap() {
            "AES-256-CBC" => TokenMode::Aes256Cbc,
            "AES-128-CBC" => TokenMode::Aes128Cbc,
            other => panic!("unexpected mode {other}"),
        };
        assert_eq!(token.mode(), mode);
        let mut split = hex_field(v, "signing_key");
        split.extend(hex_field(v, "encryption_key"));
        assert_eq!(split, key);

        let plaintext = hex_field(v, "plaintext");
        let iv: [u8; 16] = hex_array(v, "iv");
        let expected = hex_field(v, "token");
        assert_eq!(token.encrypt_with_iv(&plaintext, &iv), expected);
        let mut rng = FixedRng::new(&[&iv]);
        assert_eq!(token.encrypt(&plaintext, &mut rng), expected);
        assert!(rng.is_exhausted());
        assert_eq!(token.decrypt(&expected).unwrap(), plaintext);

        let mut tampered = expected.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(token.decrypt(&tampered), Err(TokenError::Authentication));
    }
}

#[test]
fn hkdf_all_vectors() {
    let file = vectors("crypto");
    let list = file["hkdf"].as_array().unwrap();
    assert!(!list.is_empty());
    for v in list {
        let length = usize::try_from(v["length"].as_u64().unwrap()).unwrap();
        let salt = v["salt"].as_str().map(|s| hex::decode(s).unwrap());
        let info = v["context"].as_str().map(|s| hex::decode(s).unwrap());
        let okm = hkdf(
            length,
            &hex_field(v, "ikm"),
            salt.as_deref(),
            info.as_deref(),
        )
        .unwrap();
        assert_eq!(okm.to_vec(), hex_field(v, "okm"));
    }
}

#[test]
fn encrypt_to_identity() {
    let file = vectors("crypto");
    let list = file["identity_encrypt"].as_array().unwrap();
    assert!(!list.is_empty());
    for v in list {
        let recipient = PrivateIdentity::from_private_slice(&hex_field(v, "recipient_private_key"));
        let recipient = recipient.unwrap();
        assert_eq!(
            recipient.public().as_bytes().to_vec(),
            hex_field(v, "recipient_public_key")
        );
        assert_eq!(
            recipient.hash().as_bytes().to_vec(),
            hex_field(v, "hkdf_salt")
        );

        let eph_private: [u8; 32] = hex_array(v, "ephemeral_x25519_private");
        let ephemeral = X25519Keypair::from_private_bytes(&eph_private);
        assert_eq!(
            ephemeral.public_bytes().to_vec(),
            hex_field(v, "ephemeral_x25519_public")
        );
        let shared = ephemeral.diffie_hellman(recipient.public().x25519_public().as_bytes());
        assert_eq!(shared.unwrap().to_vec(), hex_field(v, "shared_secret"));
        let key = hkdf(
            64,
            &hex_field(v, "shared_secret"),
            Some(recipient.hash().as_bytes()),
            None,
        );
        assert_eq!(key.unwrap().to_vec(), hex_field(v, "derived_key_64"));

        let plaintext = hex_field(v, "plaintext");
        let iv: [u8; 16] = hex_array(v, "iv");
        let expected = hex_field(v, "ciphertext");
        let public = recipient.public();
        assert_eq!(
            public
                .encrypt_with(&plaintext, None, &ephemeral, &iv)
                .unwrap(),
            expected
        );
        let mut rng = FixedRng::new(&[&eph_private, &iv]);
        assert_eq!(
            public.encrypt(&plaintext, None, &mut rng).unwrap(),
            expected
        );
        assert!(rng.is_exhausted());

        let opened = recipient.decrypt(&expected, &[], false).unwrap();
        assert_eq!(opened.plaintext, plaintext);
        assert_eq!(opened.ratchet_id, None);
    }
}

#[test]
fn encrypt_to_ratchet() {
    let file = vectors("crypto");
    let v = &file["ratchet_encrypt"];
    let recipient = PrivateIdentity::from_private_slice(&hex_field(v, "recipient_private_key"));
    let recipient = recipient.unwrap();
    assert_eq!(
        recipient.hash().as_bytes().to_vec(),
        hex_field(v, "hkdf_salt")
    );

    let ratchet = Ratchet::from_private_bytes(&hex_array(v, "ratchet_private"));
    let ratchet_public: [u8; 32] = hex_array(v, "ratchet_public");
    assert_eq!(ratchet.public_bytes(), ratchet_public);
    assert_eq!(ratchet.id().as_bytes().to_vec(), hex_field(v, "ratchet_id"));
    assert_eq!(ratchet_id(&ratchet_public), ratchet.id());

    let eph_private: [u8; 32] = hex_array(v, "ephemeral_x25519_private");
    let iv: [u8; 16] = hex_array(v, "iv");
    let plaintext = hex_field(v, "plaintext");
    let expected = hex_field(v, "ciphertext");
    let mut rng = FixedRng::new(&[&eph_private, &iv]);
    let sent = recipient
        .public()
        .encrypt(&plaintext, Some(&ratchet_public), &mut rng)
        .unwrap();
    assert_eq!(sent, expected);
    assert!(rng.is_exhausted());

    let other = Ratchet::from_private_bytes(&[0x11; 32]);
    let opened = recipient
        .decrypt(&expected, &[other.clone(), ratchet.clone()], true)
        .unwrap();
    assert_eq!(opened.plaintext, plaintext);
    assert_eq!(opened.ratchet_id, Some(ratchet.id()));

    // Encrypted to the identity key: refused when ratchets are enforced.
    let to_identity = recipient
        .public()
        .encrypt_with(
            &plaintext,
            None,
            &X25519Keypair::from_private_bytes(&eph_private),
            &iv,
        )
        .unwrap();
    assert_eq!(
        recipient.decrypt(&to_identity, std::slice::from_ref(&ratchet), true),
        Err(DecryptError::NoMatchingKey {
            ratchets_tried: 1,
            identity_tried: false
        })
    );
    let opened = recipient.decrypt(&to_identity, &[ratchet], false).unwrap();
    assert_eq!((opened.plaintext, opened.ratchet_id), (plaintext, None));
    // Without the ratchet, the ratchet ciphertext cannot be opened.
    assert!(recipient.decrypt(&expected, &[other], false).is_err());
}

#[test]
fn link_key_derivation() {
    use rns_crypto::{DestinationHash, derive_link_key, derive_link_token, x25519_shared};
    let v = vectors("link");
    let initiator =
        X25519Keypair::from_private_bytes(&hex_array(&v, "initiator_ephemeral_x25519_private"));
    let responder: [u8; 32] = hex_array(&v, "responder_ephemeral_x25519_private");
    let responder_public = X25519Keypair::from_private_bytes(&responder).public_bytes();
    let shared = initiator.diffie_hellman(&responder_public).unwrap();
    assert_eq!(shared.to_vec(), hex_field(&v, "shared_secret"));
    assert_eq!(
        x25519_shared(&responder, &initiator.public_bytes()).unwrap(),
        shared
    );

    let link_id = DestinationHash(hex_array(&v, "link_id"));
    let key = derive_link_key(&shared, &link_id, TokenMode::Aes256Cbc).unwrap();
    assert_eq!(key.to_vec(), hex_field(&v, "derived_key_64"));

    // A link DATA packet: 19-byte header, then the token.
    let token = derive_link_token(&shared, &link_id, TokenMode::Aes256Cbc).unwrap();
    let packet = hex_field(&v, "data_packet_raw");
    assert_eq!(
        token.decrypt(&packet[19..]).unwrap(),
        hex_field(&v, "data_plaintext")
    );
    let iv: [u8; 16] = hex_array(&v, "data_iv");
    assert_eq!(
        token.encrypt_with_iv(&hex_field(&v, "data_plaintext"), &iv),
        &packet[19..]
    );
    let close = hex_field(&v, "linkclose_raw");
    assert_eq!(
        token.decrypt(&close[19..]).unwrap(),
        link_id.as_bytes().to_vec()
    );
}
