-- What a dialect must echo back later that has no column of its own (PingPong's requestId,
-- its paymentMethod.type and the sign type the merchant used). Opaque to the store and engine.
ALTER TABLE payments ADD COLUMN dialect_data TEXT NOT NULL DEFAULT '';
